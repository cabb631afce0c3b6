"""Builds what the event handlers of every group use beyond the modules' own wiring."""

from django.conf import settings

from adapters.messaging.data_platform import DataPlatformExporter


def data_platform() -> DataPlatformExporter:
    # Built per event, not cached: it is three settings, which tests and operators change.
    return DataPlatformExporter(
        url=settings.DATA_PLATFORM_URL,
        secret=settings.DATA_PLATFORM_SECRET.encode(),
        timeout_seconds=settings.DATA_PLATFORM_TIMEOUT_SECONDS,
    )
