from django.urls import path

from apps.http.direct_routes import direct_route
from apps.queue.api import views

urlpatterns = [
    path("schedules/<int:schedule_id>/queue", views.queue_view, name="queue"),
    path("schedules/<int:schedule_id>/queue/state", views.queue_state_view, name="queue-state"),
]

# Called by every waiting fan every few seconds: served straight from WSGI, the same views
# without Django's request handling (apps/http/direct_routes.py). Other methods go through
# Django, which answers them as the views do (405).
SERVED_DIRECTLY = [
    direct_route(
        "queue", r"/api/v1/schedules/(?P<schedule_id>[0-9]+)/queue", ("GET", "POST", "DELETE")
    ),
    direct_route(
        "queue-state", r"/api/v1/schedules/(?P<schedule_id>[0-9]+)/queue/state", ("GET", "HEAD")
    ),
]
