from django.urls import path

from apps.queue.api import views

urlpatterns = [
    path("schedules/<int:schedule_id>/queue", views.QueueView.as_view(), name="queue"),
    path(
        "schedules/<int:schedule_id>/queue/state",
        views.QueueStateView.as_view(),
        name="queue-state",
    ),
]
