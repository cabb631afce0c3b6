from django.apps import AppConfig


class QueueConfig(AppConfig):
    name = "apps.queue"
    label = "queue"
    verbose_name = "Waiting room"

    def ready(self) -> None:
        from apps.queue import metrics

        metrics.register()
