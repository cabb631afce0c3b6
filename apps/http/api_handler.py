"""Two middleware stacks in one process: bearer-token API requests skip what only a browser
session needs (sessions, CSRF, the session user, messages, frame options), while the admin
and the API docs keep the full stack. What each middleware costs is measured in
docs/PERFORMANCE.md ("Middleware")."""

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class StackHandler(WSGIHandler):
    """A WSGI handler with the given middleware chain instead of settings.MIDDLEWARE."""

    def __init__(self, middleware: list[str]) -> None:
        self.middleware = middleware
        super().__init__()

    def load_middleware(self, is_async: bool = False) -> None:
        # Django builds the chain from settings.MIDDLEWARE; swap it for the time of the build
        # (once, at start-up, before any request).
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = self.middleware
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


Route = tuple[tuple[str, ...], WSGIApp]


class ByPath:
    """Sends a request to the app of the first route whose path prefixes match, else to
    `default`."""

    def __init__(self, routes: list[Route], *, default: WSGIApp) -> None:
        self.routes, self.default = routes, default

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        for prefixes, app in self.routes:
            if path.startswith(prefixes):
                return app(environ, start_response)
        return self.default(environ, start_response)


def application_for_api_and_browser() -> ByPath:
    """The WSGI application: call once settings are configured (django.setup() done)."""
    from apps.http.direct_routes import DirectRoutes
    from apps.queue.api.urls import SERVED_DIRECTLY

    routes: list[Route] = []
    if settings.BENCH_MODE:
        # The bare Django view that benchmarks compare with: no middleware at all.
        routes.append((("/bench/bare",), StackHandler([])))
    api = StackHandler(settings.API_MIDDLEWARE)
    # The waiting room's fan endpoints skip Django's request handling (direct_routes.py).
    routes.append((tuple(settings.API_PATH_PREFIXES), DirectRoutes(SERVED_DIRECTLY, fallback=api)))
    return ByPath(routes, default=WSGIHandler())
