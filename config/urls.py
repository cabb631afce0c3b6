from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.ops.bench import reference_view
from apps.ops.metrics import metrics_view
from apps.ops.views import healthz, readyz

api_v1 = [
    # The waiting room first: its routes are the hottest, and Django tries them in order.
    path("", include("apps.queue.api.urls")),
    path("", include("apps.user.api.urls")),
    path("", include("apps.concert.api.urls")),
    path("", include("apps.reservation.api.urls")),
    path("", include("apps.payment.api.urls")),
    path("", include("apps.notification.api.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    # The fan's pages last: they take every path the API and the operators' tools left.
    path("", include("apps.web.urls")),
]

if settings.BENCH_MODE:
    # The minimal JSON view that benchmarks compare the real endpoints with (same server,
    # same middleware, same run). Never mounted outside bench mode.
    urlpatterns.append(path("bench/reference", reference_view, name="bench-reference"))
    # The same view through no middleware at all (apps.http.api_handler routes it so).
    urlpatterns.append(path("bench/bare", reference_view, name="bench-bare"))

handler404 = "apps.http.problems.not_found_view"
handler500 = "apps.http.problems.server_error_view"
