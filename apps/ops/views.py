from django.http import HttpRequest, JsonResponse

from apps.http.problems import DB_RETRY_AFTER, PROBLEM_CONTENT_TYPE, problem_body
from apps.ops.readiness import check_all, readiness


def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up; says nothing about its dependencies."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    """200 `ready` when every dependency answers, 200 `degraded` when only the broker is down
    (events wait in the outbox), 503 naming what is down when the database or Redis is."""
    checks = check_all()
    status = readiness(checks)
    if status != "not_ready":
        return JsonResponse({"status": status, "checks": checks})
    down = sorted(name for name, result in checks.items() if result != "ok")
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
