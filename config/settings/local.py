"""Development: `make run` and the other development commands, which set DEBUG=1.

The development secret is in the repository for everyone to read, so it signs nothing
outside DEBUG: a deployment that forgets DJANGO_SETTINGS_MODULE (these are the default
settings of manage.py, WSGI and Celery) refuses to start rather than sign JWTs and access
tokens with a known key."""

from django.core.exceptions import ImproperlyConfigured

from config.env import env_str
from config.settings.base import *  # noqa: F403
from config.settings.base import DEBUG, DEFAULT_SECRET_KEY, SECRET_KEY

if SECRET_KEY == DEFAULT_SECRET_KEY and not DEBUG:
    raise ImproperlyConfigured(
        "The development SECRET_KEY is public: set DEBUG=1 for development, or SECRET_KEY "
        "(and DJANGO_SETTINGS_MODULE=config.settings.production) for a deployment."
    )

# Mails (the ticket after a payment) go to files in EMAIL_FILE_PATH (.run/mail), not to SMTP.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
