from django.apps import AppConfig


class UserConfig(AppConfig):
    name = "apps.user"
    label = "user"
    verbose_name = "Fans and wallets"

    def ready(self) -> None:
        from apps.user import signals  # noqa: F401  (connects the receivers)
