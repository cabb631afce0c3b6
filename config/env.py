"""Reading settings from the environment, with local defaults."""

import os
from urllib.parse import unquote, urlsplit


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value is None else int(value)


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def database_from_url(url: str) -> dict[str, object]:
    """Django DATABASES entry from mysql://user:password@host:port/name."""
    parts = urlsplit(url)
    if parts.scheme not in {"mysql", "mariadb"}:
        raise ValueError(f"DATABASE_URL must be mysql://..., got scheme {parts.scheme!r}")
    return {
        "ENGINE": "django.db.backends.mysql",
        "NAME": parts.path.lstrip("/"),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "127.0.0.1",
        "PORT": str(parts.port or 3306),
    }
