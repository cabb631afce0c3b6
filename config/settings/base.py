"""Settings shared by every environment; each value can be overridden from the environment."""

from datetime import timedelta
from pathlib import Path

import django_stubs_ext

from config.env import database_from_url, env_bool, env_int, env_list, env_str

# Lets admin.ModelAdmin[Model] and friends be subscripted at run time, as the type stubs want.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key-change-me-0123456789abcdef"
SECRET_KEY = env_str("SECRET_KEY", DEFAULT_SECRET_KEY)
# Off unless set explicitly: a deployment that forgets a setting must not run in debug.
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    # Swagger UI's files served from our own static files: /api/docs/ works offline.
    "drf_spectacular_sidecar",
    "apps.ops",
    "apps.user",
    "apps.concert",
    "apps.queue",
    "apps.reservation",
    "apps.payment",
    "apps.events",
    "apps.notification",
    "apps.web",
]

MIDDLEWARE = [
    "apps.ops.metrics.RequestMetricsMiddleware",
    "apps.queue.middleware.BookingLatencyMiddleware",
    "apps.ops.correlation.CorrelationIdMiddleware",
    "apps.http.body_limit.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Bearer-token API requests (and the probes) need only these: no sessions, CSRF, session
# user, messages or frame options (apps/http/api_handler.py).
API_MIDDLEWARE = [
    "apps.ops.metrics.RequestMetricsMiddleware",
    "apps.queue.middleware.BookingLatencyMiddleware",
    "apps.ops.correlation.CorrelationIdMiddleware",
    "apps.http.body_limit.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
]
API_PATH_PREFIXES = ["/api/v1/", "/healthz", "/readyz", "/metrics", "/bench/"]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -----------------------------------------------------------------------------
# The local defaults follow the ports scripts/services uses (DB_PORT, REDIS_PORT, KAFKA_PORT).
DB_PORT = env_int("DB_PORT", 3306)
REDIS_PORT = env_int("REDIS_PORT", 6379)
KAFKA_PORT = env_int("KAFKA_PORT", 9092)
DATABASE_URL = env_str("DATABASE_URL", f"mysql://ticketing:ticketing@127.0.0.1:{DB_PORT}/ticketing")
DATABASE = database_from_url(DATABASE_URL)
DATABASES = {
    "default": {
        **DATABASE,
        "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            "charset": "utf8mb4",
            # Reads that decide money or seats lock rows explicitly; READ COMMITTED keeps
            # gap locks (and the deadlocks they bring) out of the hot UPDATEs.
            "isolation_level": "read committed",
            "connect_timeout": env_int("DB_CONNECT_TIMEOUT", 3),
            # A statement that waits longer than this on a row lock fails (error 1205) and
            # becomes a 409 with Retry-After instead of a stuck worker.
            "init_command": "SET SESSION innodb_lock_wait_timeout = "
            + str(env_int("DB_LOCK_WAIT_TIMEOUT", 5)),
            # The URL's own options (TLS, say) come last: they win.
            **DATABASE["OPTIONS"],
        },
        "TEST": {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- redis, cache ---------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", f"redis://127.0.0.1:{REDIS_PORT}/0")
REDIS_SOCKET_TIMEOUT = float(env_str("REDIS_SOCKET_TIMEOUT", "1.0"))
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "tk",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": REDIS_SOCKET_TIMEOUT,
            "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT,
            "CONNECTION_POOL_KWARGS": {"max_connections": env_int("REDIS_MAX_CONNECTIONS", 64)},
        },
    }
}
CATALOG_CACHE_SECONDS = env_int("CATALOG_CACHE_SECONDS", 30)
# The seat map is patched in Redis as seats change and built again from the database after
# this long: the safety net for a patch lost while Redis was unreachable.
SEAT_MAP_CACHE_SECONDS = env_int("SEAT_MAP_CACHE_SECONDS", 60)
# How long a shared cache (nginx, a CDN) or a browser may reuse a seat map before asking
# again (its statuses alone are never reused). A hold is decided by the database, never by
# the map, so a map a second old costs at worst a 409; 0 makes every read ask (no-cache).
SEAT_MAP_MAX_AGE_SECONDS = env_int("SEAT_MAP_MAX_AGE_SECONDS", 1)

# --- kafka-protocol broker ------------------------------------------------------------------
KAFKA_BOOTSTRAP_SERVERS = env_str("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{KAFKA_PORT}")

# Topic names are the event types; a prefix keeps several environments on one cluster apart.
KAFKA_TOPIC_PREFIX = env_str("KAFKA_TOPIC_PREFIX", "")
# TLS and SASL for a cluster that asks for them (adapters/messaging/kafka_client.py), as
# librdkafka names them; empty ones are left out.
KAFKA_SECURITY = {
    "security.protocol": env_str("KAFKA_SECURITY_PROTOCOL", ""),  # e.g. SASL_SSL
    "sasl.mechanism": env_str("KAFKA_SASL_MECHANISM", ""),  # e.g. SCRAM-SHA-512
    "sasl.username": env_str("KAFKA_SASL_USERNAME", ""),
    "sasl.password": env_str("KAFKA_SASL_PASSWORD", ""),
    "ssl.ca.location": env_str("KAFKA_SSL_CA_LOCATION", ""),
}
KAFKA_TOPIC_PARTITIONS = env_int("KAFKA_TOPIC_PARTITIONS", 6)
OUTBOX_RELAY_BATCH = env_int("OUTBOX_RELAY_BATCH", 500)
# Sales are exported to the data platform when a URL is set (signed with the secret).
DATA_PLATFORM_URL = env_str("DATA_PLATFORM_URL", "")
DATA_PLATFORM_SECRET = env_str("DATA_PLATFORM_SECRET", "")
DATA_PLATFORM_TIMEOUT_SECONDS = float(env_str("DATA_PLATFORM_TIMEOUT_SECONDS", "5"))

# --- celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", f"redis://127.0.0.1:{REDIS_PORT}/1")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task whose worker died without a word (SIGKILL, a lost machine) goes back to the queue
# this long after it was taken. Longer than any task plus its retry countdown, so a slow
# task is not run twice at once.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 600),
    # Look for such tasks every 5 s (Kombu's default is every 10 s, scanning every tenth time).
    "unacked_restore_interval": 5,
    "unacked_restore_throttle": 1,
}
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}

# --- auth, API ------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.http.bearer.RevocableJWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "apps.http.schema.NestedSerializerSchema",
    "EXCEPTION_HANDLER": "apps.http.problems.problem_exception_handler",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 1)),
    "SIGNING_KEY": SECRET_KEY,
    "UPDATE_LAST_LOGIN": False,
    # Each refresh gives a new refresh token and blacklists the one used: a stolen refresh
    # token works once at most, and signing out anywhere ends it.
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Ticketing API",
    "DESCRIPTION": "Concert ticketing built for the minute a big sale opens. "
    "Errors are application/problem+json with a stable `code`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # From the app's static files (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No validator badge: Swagger UI would send the schema to an outside validator.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "SeatStatusEnum": ["available", "held", "sold"],
        "ReservationStatusEnum": ["held", "confirmed", "expired", "cancelled"],
        "SalePhaseEnum": ["upcoming", "on_sale", "closed", "cancelled"],
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.queue.api.schema.add_queue_paths",
        "apps.http.schema.add_error_responses",
    ],
}

DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_BODY_BYTES", 64 * 1024)

# --- email (the ticket mail, apps/notification) ------------------------------------------------
# SMTP unless set otherwise; development writes each mail to a file in EMAIL_FILE_PATH.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
# Seconds an SMTP call may take: the mail is sent inside the transaction that claims it.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / ".run" / "mail"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Ticketing <tickets@localhost>")

# --- i18n, static -------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / ".run" / "static"

# "json" (one object a line: what log collectors read; production's default) or "plain".
LOG_FORMAT = env_str("LOG_FORMAT", "plain")
# One line per request answered (apps/ops/correlation.py).
ACCESS_LOG = env_bool("ACCESS_LOG", True)
# OpenTelemetry tracing (apps/ops/tracing.py): spans joined by the request id, sent to the
# OTLP collector of the standard OTEL_EXPORTER_OTLP_* variables, or written to a file.
OTEL_TRACING = env_bool("OTEL_TRACING", False)
OTEL_TRACES_FILE = env_str("OTEL_TRACES_FILE", "")
OTEL_SERVICE_NAME = env_str("OTEL_SERVICE_NAME", "")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "apps.ops.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # A 409 for a taken seat is a normal answer in a sale, thousands a second: not a warning.
    "loggers": {"django.request": {"level": "ERROR"}},
}

# --- waiting room ---------------------------------------------------------------------------
QUEUE_REDIS_URL = env_str("QUEUE_REDIS_URL", REDIS_URL)
QUEUE_REDIS_CLUSTER = env_bool("QUEUE_REDIS_CLUSTER", False)
QUEUE_REDIS_MAX_CONNECTIONS = env_int("QUEUE_REDIS_MAX_CONNECTIONS", 64)
# How long an admitted fan may stay without acting (holding, paying) before the slot is freed.
QUEUE_ACTIVE_TTL_SECONDS = env_int("QUEUE_ACTIVE_TTL_SECONDS", 300)
# How often a waiting fan's client calls its own GET .../queue to keep the place. A fan who
# misses about three heartbeats (at least the schedule's abandon_after_seconds) loses it.
QUEUE_HEARTBEAT_SECONDS = env_int("QUEUE_HEARTBEAT_SECONDS", 10)
# How long a web process reuses the public queue state it last read from Redis.
QUEUE_STATE_MAX_AGE_SECONDS = 1
# A heartbeat that brings the fan's queue token is answered from that state, and recorded
# in Redis with the others of its process in one call this often (adapters/queue/heartbeats.py).
QUEUE_HEARTBEAT_BATCH_SECONDS = float(env_str("QUEUE_HEARTBEAT_BATCH_SECONDS", "1"))
# Entry attempts: token buckets per fan and per client address (0 turns a limit off).
QUEUE_ENTRY_RATE_PER_USER = float(env_str("QUEUE_ENTRY_RATE_PER_USER", "2"))
QUEUE_ENTRY_BURST_PER_USER = env_int("QUEUE_ENTRY_BURST_PER_USER", 5)
QUEUE_ENTRY_RATE_PER_IP = float(env_str("QUEUE_ENTRY_RATE_PER_IP", "200"))
QUEUE_ENTRY_BURST_PER_IP = env_int("QUEUE_ENTRY_BURST_PER_IP", 1000)
# Behind a proxy, the request header that carries the client address (e.g. HTTP_X_REAL_IP).
QUEUE_CLIENT_IP_HEADER = env_str("QUEUE_CLIENT_IP_HEADER", "REMOTE_ADDR")
# How many proxies in front append to that header: the client is that many from the right
# (apps/http/client_address.py).
CLIENT_IP_TRUSTED_PROXIES = env_int("CLIENT_IP_TRUSTED_PROXIES", 1)
# Sign-up, sign-in and token refresh (apps/user/api/throttles.py), "<count>/<s|min|hour>".
AUTH_THROTTLE_RATES = {
    "auth_address": env_str("AUTH_RATE_PER_ADDRESS", "30/min"),
    "auth_username": env_str("AUTH_RATE_PER_USERNAME", "10/min"),
}
# The admin sign-in locks a username out after this many failures in a row, for this long.
ADMIN_LOGIN_FAILURES = env_int("ADMIN_LOGIN_FAILURES", 5)
ADMIN_LOCKOUT_SECONDS = env_int("ADMIN_LOCKOUT_SECONDS", 900)
# Behind a proxy that stamps when it got each request ("t=<unix seconds.ms>", nginx's
# `X-Request-Start "t=${msec}"`), the header (e.g. HTTP_X_REQUEST_START): adaptive admission
# then steers by the time fans wait, queueing before the app included. Only behind a proxy
# that overwrites it: a client could send its own.
BOOKING_LATENCY_START_HEADER = env_str("BOOKING_LATENCY_START_HEADER", "")
CELERY_BEAT_SCHEDULE["admit-waiting-fans"] = {
    "task": "apps.queue.tasks.admit_waiting_fans",
    "schedule": 1.0,
    "options": {"expires": 1.0},
}

# Benchmarks only: mounts /bench/reference (see scripts/bench-queue).
BENCH_MODE = env_bool("BENCH_MODE", False)

# --- holds and payments -----------------------------------------------------------------------
MAX_SEATS_PER_FAN = env_int("MAX_SEATS_PER_FAN", 4)
# Holds per fan and schedule: HOLD_RATE_PER_USER a second, bursts of HOLD_BURST_PER_USER
# (0 turns it off). A fan retrying after a few 409s stays well within it.
HOLD_RATE_PER_USER = float(env_str("HOLD_RATE_PER_USER", "2"))
HOLD_BURST_PER_USER = env_int("HOLD_BURST_PER_USER", 10)
# How often lapsed holds are swept back to available. The seat map shows a lapsed hold as
# held until then, and admission counts it as held (apps.concert.seat_inventory): the sooner
# the sweep, the sooner the fans in line are let in for those seats. With the
# (status, expires_at) index a sweep that finds nothing costs one index probe.
HOLD_SWEEP_SECONDS = float(env_str("HOLD_SWEEP_SECONDS", "2"))
CELERY_BEAT_SCHEDULE["expire-holds"] = {
    "task": "apps.reservation.tasks.expire_holds",
    "schedule": HOLD_SWEEP_SECONDS,
    "options": {"expires": HOLD_SWEEP_SECONDS},
}
CELERY_BEAT_SCHEDULE["finish-cancelled-schedules"] = {
    "task": "apps.reservation.tasks.finish_cancelled_schedules",
    "schedule": 60.0,
    "options": {"expires": 60.0},
}
CELERY_BEAT_SCHEDULE["forget-idempotency-keys"] = {
    "task": "apps.payment.tasks.forget_old_idempotency_keys",
    "schedule": 3600.0,
}
