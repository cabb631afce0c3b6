from django.urls import path

from apps.concert.api import views
from apps.concert.api.ranking import RankingView
from apps.concert.api.schedule import ScheduleDetailView

urlpatterns = [
    path("concerts/ranking", RankingView.as_view(), name="concert-ranking"),
    path("concerts", views.ConcertListView.as_view(), name="concert-list"),
    path("concerts/<int:concert_id>", views.ConcertDetailView.as_view(), name="concert-detail"),
    path(
        "concerts/<int:concert_id>/schedules",
        views.ConcertSchedulesView.as_view(),
        name="concert-schedules",
    ),
    path("schedules/<int:schedule_id>", ScheduleDetailView.as_view(), name="schedule-detail"),
    path("schedules/<int:schedule_id>/seats", views.SeatMapView.as_view(), name="seat-map"),
    path(
        "schedules/<int:schedule_id>/seats/statuses",
        views.SeatStatusesView.as_view(),
        name="seat-statuses",
    ),
]
