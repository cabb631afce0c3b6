from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "apps.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from apps.ops.logs import connect_celery_signals
        from apps.ops.metrics import register_live
        from apps.ops.readiness import ReadinessCollector

        connect_celery_signals()
        register_live(ReadinessCollector())
