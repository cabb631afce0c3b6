"""A few views served straight from WSGI, without Django's request handling around them.

Every waiting fan calls the waiting room's endpoints every few seconds, and for them
Django's handler cost more than the view itself: URL resolution through the whole URLconf,
the request signals (each closing or checking every database connection, which these views
don't use), and a middleware chain built of wrappers (docs/PERFORMANCE.md). `DirectRoutes`
matches those paths with one regular expression each and calls the same view functions the
URLconf names, with a real `WSGIRequest`. It does itself what the API middleware does for
them: the request id and access line, the request metrics, the security headers, a logged
warning for an error answer and Django's own answer to an exception. Whatever it does not
route (another path or method, a request the HTTPS redirect would send away), the `fallback`
application handles, as before.
"""

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponse
from django.middleware.security import SecurityMiddleware
from django.urls import ResolverMatch, resolve, reverse
from django.utils.log import log_response

from apps.ops.correlation import log_access_if_on, request_context, request_id
from apps.ops.metrics import observe_request

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class DirectRoute:
    """A URL name of the URLconf, the same path as a regular expression with one integer
    group per URL argument, and the methods served directly."""

    url_name: str
    pattern: re.Pattern[str]
    methods: frozenset[str]

    def resolved(self) -> ResolverMatch:
        """What Django resolves this route to (its view and route pattern), checked against
        the regular expression so that the two can't drift apart."""
        names = self.pattern.groupindex
        path = reverse(self.url_name, kwargs=dict.fromkeys(names, 1))
        found = self.pattern.fullmatch(path)
        if found is None:
            raise ValueError(f"{self.pattern.pattern} does not match {path} ({self.url_name})")
        return resolve(path)


def direct_route(url_name: str, pattern: str, methods: Iterable[str]) -> DirectRoute:
    return DirectRoute(url_name, re.compile(pattern), frozenset(methods))


@dataclass(frozen=True)
class _Served:
    pattern: re.Pattern[str]
    methods: frozenset[str]
    view: Callable[..., HttpResponse]
    url_name: str
    route: str


class DirectRoutes:
    def __init__(self, routes: list[DirectRoute], *, fallback: WSGIApp) -> None:
        self.fallback = fallback
        self.served = []
        for route in routes:
            match = route.resolved()
            self.served.append(
                _Served(route.pattern, route.methods, match.func, route.url_name, match.route)
            )
        # Django's own: the HTTPS redirect rule and the security headers, read from settings.
        self.security = SecurityMiddleware(lambda request: HttpResponse())

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        for served in self.served:
            found = served.pattern.fullmatch(path)
            if found is not None and method in served.methods:
                break
        else:
            return self.fallback(environ, start_response)
        request = WSGIRequest(environ)
        if self.security.process_request(request) is not None:
            return self.fallback(environ, start_response)  # the redirect, as Django answers it
        kwargs = {name: int(value) for name, value in found.groupdict().items()}
        request.resolver_match = ResolverMatch(
            served.view, (), kwargs, url_name=served.url_name, route=served.route
        )
        response = self._answer(request, served.view, kwargs)
        start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
        return [response.content]

    def _answer(
        self, request: WSGIRequest, view: Callable[..., HttpResponse], kwargs: dict[str, int]
    ) -> HttpResponse:
        value = request_id(request)
        with request_context(value):
            started = time.perf_counter()
            try:
                response = view(request, **kwargs)
            except Exception as exc:  # answered and logged as Django does
                response = response_for_exception(request, exc)
            else:
                if response.status_code >= 400:
                    log_response(
                        "%s: %s",
                        response.reason_phrase,
                        request.path,
                        response=response,
                        request=request,
                    )
            self.security.process_response(request, response)
            seconds = time.perf_counter() - started
            observe_request(request, response, seconds)
            log_access_if_on(request, response, seconds)
        response["X-Request-ID"] = value
        return response
