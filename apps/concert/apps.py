from django.apps import AppConfig


class ConcertConfig(AppConfig):
    name = "apps.concert"
    label = "concert"
    verbose_name = "Concerts, schedules and seats"

    def ready(self) -> None:
        from apps.concert import metrics, signals  # noqa: F401  (connects the receivers)

        metrics.register()
