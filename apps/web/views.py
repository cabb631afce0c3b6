"""The fans' pages: HTML shells whose scripts do what any API client does (the public REST
API with a bearer token). No view here reads the database or decides anything."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.generic import TemplateView

# Scripts and styles from our own origin only, and no inline script or style: injected
# markup cannot run. The API is the same origin, so connect-src 'self' covers it.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class Page(TemplateView):
    """A page: its template, and the module in static/web/js/pages/ that drives it."""

    script = ""
    title = ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(page_script=f"web/js/pages/{self.script}.js", page_title=self.title)
        return context

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        # The pages change with every deploy and hold nothing private; tokens stay in JS.
        response["Cache-Control"] = "no-cache"
        return response
