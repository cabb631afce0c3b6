import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
django.setup(set_prefix=False)

from apps.http.api_handler import application_for_api_and_browser  # noqa: E402
from apps.ops.tracing import traced_wsgi  # noqa: E402

application = traced_wsgi(application_for_api_and_browser())
