from django.http import HttpRequest, JsonResponse

from apps.http.problems import DB_RETRY_AFTER, PROBLEM_CONTENT_TYPE, problem_body
from apps.ops.readiness import check_all


def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up; says nothing about its dependencies."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    """200 when the database, Redis and the broker answer; 503 naming what is down."""
    checks = check_all()
    down = sorted(name for name, result in checks.items() if result != "ok")
    if not down:
        return JsonResponse({"status": "ready", "checks": checks})
    body = problem_body(
        status=503,
        code="not_ready",
        title="Not ready",
        detail=f"unreachable: {', '.join(down)}",
    )
    body["checks"] = checks
    response = JsonResponse(body, status=503, content_type=PROBLEM_CONTENT_TYPE)
    response["Retry-After"] = str(DB_RETRY_AFTER)
    return response
