"""Builds what the event handlers of every group use beyond the modules' own wiring."""

from functools import cache

from django.conf import settings

from adapters.messaging.data_platform import DataPlatformExporter


@cache
def data_platform() -> DataPlatformExporter:
    return DataPlatformExporter(
        url=settings.DATA_PLATFORM_URL,
        secret=settings.DATA_PLATFORM_SECRET.encode(),
        timeout_seconds=settings.DATA_PLATFORM_TIMEOUT_SECONDS,
    )
