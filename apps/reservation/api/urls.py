from django.urls import path

from apps.reservation.api import views

urlpatterns = [
    path("reservations", views.ReservationsView.as_view(), name="reservations"),
    path(
        "reservations/<int:reservation_id>",
        views.ReservationDetailView.as_view(),
        name="reservation-detail",
    ),
    path("me/reservations", views.MyReservationsView.as_view(), name="my-reservations"),
]
