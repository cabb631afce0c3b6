from django.apps import AppConfig


class ReservationConfig(AppConfig):
    name = "apps.reservation"
    label = "reservation"
