from django.urls import path

from apps.queue.api import views

urlpatterns = [
    path("schedules/<int:schedule_id>/queue", views.queue_view, name="queue"),
    path("schedules/<int:schedule_id>/queue/state", views.queue_state_view, name="queue-state"),
]
