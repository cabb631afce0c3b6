"""The test suite: the same real services as local, with cheap password hashing."""

from config.env import env_str
from config.settings.base import *  # noqa: F403
from config.settings.base import CACHES, REDIS_PORT

DEBUG = False
# Hashing costs ~0.3 s per password with the production hasher; tests sign up thousands.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Each test run gets its own cache namespace so stale entries never leak between runs.
CACHES["default"]["KEY_PREFIX"] = "tk-test"

# A Redis database of its own, so the suite may clear it freely (the waiting room too).
TEST_REDIS_URL = env_str("TEST_REDIS_URL", f"redis://127.0.0.1:{REDIS_PORT}/2")
CACHES["default"]["LOCATION"] = TEST_REDIS_URL
QUEUE_REDIS_URL = TEST_REDIS_URL
# Celery's queues of their own, so a test may empty them while `make run` is up.
CELERY_BROKER_URL = env_str("TEST_CELERY_BROKER_URL", f"redis://127.0.0.1:{REDIS_PORT}/3")
# Tests read the seat map right after changing seats; tests/integration/test_catalog_cache.py
# checks the staleness allowance itself.

# Fans are signed up and in by the hundred from one address; the limits' own tests lower
# these.
AUTH_THROTTLE_RATES = {"auth_address": "100000/min", "auth_username": "100000/min"}

# Worker processes started by tests write mails to files (a test points EMAIL_FILE_PATH at a
# directory of its own); in-process tests get Django's memory backend from pytest-django.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
