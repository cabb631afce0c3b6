from django.apps import AppConfig


class ReservationConfig(AppConfig):
    name = "apps.reservation"
    label = "reservation"
    verbose_name = "Reservations"
