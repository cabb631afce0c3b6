from typing import Any

from django.urls import path

from apps.web.views import Page


def page(template: str, script: str, title: str) -> Any:
    return Page.as_view(template_name=f"web/{template}.html", script=script, title=title)


urlpatterns = [
    path("", page("home", "home", "Concerts"), name="web-home"),
    path("concerts/<int:concert_id>", page("concert", "concert", "Concert"), name="web-concert"),
    path("signin", page("signin", "signin", "Sign in"), name="web-signin"),
    path("signup", page("signup", "signup", "Sign up"), name="web-signup"),
    path(
        "schedules/<int:schedule_id>/queue",
        page("queue", "queue", "Waiting room"),
        name="web-queue",
    ),
    path(
        "schedules/<int:schedule_id>/seats",
        page("seats", "seats", "Pick your seats"),
        name="web-seats",
    ),
    path(
        "reservations/<int:reservation_id>/checkout",
        page("checkout", "checkout", "Checkout"),
        name="web-checkout",
    ),
    path("tickets", page("tickets", "tickets", "My tickets"), name="web-tickets"),
    path("wallet", page("wallet", "wallet", "My wallet"), name="web-wallet"),
]
