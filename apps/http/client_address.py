"""The client's address, for rate limits per address (waiting-room entry, sign-in).

Behind proxies, CLIENT_IP_HEADER names the header they fill (e.g. HTTP_X_REAL_IP, or
HTTP_X_FORWARDED_FOR) and CLIENT_IP_TRUSTED_PROXIES how many of them append to it. The
address is the one that many places from the right: anything further left was written by
the client and may be forged (the left-most X-Forwarded-For is whatever the client sent).
"""

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    value = request.META.get(settings.QUEUE_CLIENT_IP_HEADER) or request.META.get("REMOTE_ADDR")
    hops = [hop.strip() for hop in str(value or "").split(",") if hop.strip()]
    if not hops:
        return "unknown"
    trusted = max(1, settings.CLIENT_IP_TRUSTED_PROXIES)
    return hops[-min(trusted, len(hops))][:64]
