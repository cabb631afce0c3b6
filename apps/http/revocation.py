"""The process's copy of the token revocation marks (adapters/user/revocation.py), on the
shared Redis cache."""

from datetime import timedelta
from functools import cache

from django.conf import settings
from django_redis import get_redis_connection

from adapters.user.revocation import RedisTokenRevocations


@cache
def token_revocations() -> RedisTokenRevocations:
    # A mark can stop being kept once every access token it could refuse has expired.
    lifetime: timedelta = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]  # type: ignore[assignment]
    return RedisTokenRevocations(
        get_redis_connection("default"), keep_seconds=lifetime.total_seconds() + 60
    )
