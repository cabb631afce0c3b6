from django.urls import path

from apps.payment.api import views

urlpatterns = [
    path("payments", views.PaymentsView.as_view(), name="payments"),
]
