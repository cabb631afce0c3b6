"""Production: refuses to start with DEBUG on or the development secret."""

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_str
from config.settings.base import *  # noqa: F403
from config.settings.base import (
    DATA_PLATFORM_SECRET,
    DATA_PLATFORM_URL,
    DEBUG,
    DEFAULT_SECRET_KEY,
    SECRET_KEY,
)

if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production (set DEBUG=0).")
if SECRET_KEY == DEFAULT_SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("Set SECRET_KEY to a secret of at least 50 characters.")
# The export carries every sale: over TLS only, signed with a secret no one can guess.
if DATA_PLATFORM_URL and not DATA_PLATFORM_URL.startswith("https://"):
    raise ImproperlyConfigured("DATA_PLATFORM_URL must be https:// in production.")
if DATA_PLATFORM_URL and len(DATA_PLATFORM_SECRET) < 32:
    raise ImproperlyConfigured("Set DATA_PLATFORM_SECRET to at least 32 characters.")

# Topics per environment: a staging relay or consumer pointed at the production cluster by
# mistake then reads and writes nothing of production's.
KAFKA_TOPIC_PREFIX = env_str("KAFKA_TOPIC_PREFIX", f"{env_str('DEPLOY_ENV', 'production')}.")

LOG_FORMAT = env_str("LOG_FORMAT", "json")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT  # type: ignore[index]  # noqa: F405

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
