"""The admin's sign-in locks an account out after repeated failures (ADMIN_LOGIN_FAILURES
in a row, for ADMIN_LOCKOUT_SECONDS), so staff passwords cannot be guessed online. Counted
per username in the shared cache; a success clears the count. While locked, even the right
password is refused, with the same message, so the lockout reveals nothing."""

import logging
from typing import Any

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _key(username: str) -> str:
    return f"admin-login-failures:{username.lower()[:150]}"


class LockoutAdminAuthenticationForm(AdminAuthenticationForm):
    def clean(self) -> dict[str, Any]:
        key = _key(str(self.data.get("username") or ""))
        if _failures(key) >= settings.ADMIN_LOGIN_FAILURES:
            raise ValidationError(
                "Too many failed sign-ins for this account: try again in %(minutes)d minutes.",
                code="locked_out",
                params={"minutes": max(1, settings.ADMIN_LOCKOUT_SECONDS // 60)},
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            _count_failure(key)
            raise
        _forget(key)
        return cleaned


def _failures(key: str) -> int:
    try:
        return int(cache.get(key) or 0)
    except RedisError as exc:
        logger.warning("admin lockout not checked, cache unavailable: %s", exc)
        return 0


def _count_failure(key: str) -> None:
    try:
        cache.add(key, 0, timeout=settings.ADMIN_LOCKOUT_SECONDS)
        cache.incr(key)
    except (RedisError, ValueError) as exc:
        logger.warning("admin sign-in failure not counted: %s", exc)


def _forget(key: str) -> None:
    try:
        cache.delete(key)
    except RedisError as exc:
        logger.warning("admin sign-in failures not cleared: %s", exc)
