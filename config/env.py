"""Reading settings from the environment, with local defaults."""

import os
from typing import Any

import dj_database_url


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


def database_from_url(url: str) -> dict[str, Any]:
    """Django DATABASES entry from mysql://user:password@host:port/name?options, parsed by
    dj-database-url. The options go to the driver: `ssl_mode=REQUIRED` (or VERIFY_IDENTITY)
    and `ssl-ca=/path/ca.pem` turn TLS on; `mariadb://` is the same as `mysql://`."""
    scheme, _, rest = url.partition("://")
    if scheme not in {"mysql", "mariadb"}:
        raise ValueError(f"DATABASE_URL must be mysql://..., got scheme {scheme!r}")
    parsed = dict(dj_database_url.parse(f"mysql://{rest}"))
    return {
        "ENGINE": parsed["ENGINE"],
        "NAME": parsed["NAME"],
        "USER": parsed["USER"],
        "PASSWORD": parsed["PASSWORD"],
        "HOST": parsed.get("HOST") or "127.0.0.1",
        "PORT": str(parsed.get("PORT") or 3306),
        "OPTIONS": parsed.get("OPTIONS", {}),
    }
