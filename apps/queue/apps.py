from django.apps import AppConfig


class QueueConfig(AppConfig):
    name = "apps.queue"
    label = "queue"
