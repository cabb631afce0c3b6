from django.urls import path

from apps.notification.api import views

urlpatterns = [
    path("me/email", views.MyEmailView.as_view(), name="my-email"),
]
