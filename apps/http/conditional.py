"""Conditional GET: does the client already have the representation with this ETag? And
how long a shared cache may answer for us."""

from django.http import HttpRequest
from django.utils.http import parse_etags


def _weak(tag: str) -> str:
    return tag.removeprefix("W/")


def client_has(request: HttpRequest, etag: str) -> bool:
    """True when `If-None-Match` names `etag` (or `*`), compared weakly as RFC 9110 asks for
    If-None-Match: a 304 is then the whole answer."""
    asked = [_weak(tag) for tag in parse_etags(request.META.get("HTTP_IF_NONE_MATCH", ""))]
    return "*" in asked or _weak(etag) in asked


def shared_cache(max_age: int) -> str:
    """Cache-Control for an answer every client gets alike (the queue state, the seat map):
    nginx or a CDN may answer for `max_age` seconds, and go on serving the last copy for a
    few seconds if we fail."""
    return f"public, max-age={max_age}, stale-if-error=5"
