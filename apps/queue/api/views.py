"""The waiting room (API.md "Waiting room"): one Redis round trip per call and no SQL.

These are plain Django views, not DRF: on the path every fan hits several times a minute,
DRF's request wrapping, content negotiation and rendering cost more than the Redis call
(docs/PERFORMANCE.md). The JWT is verified without loading the user (apps.http.bearer), and
the schedule's settings are read from Redis inside the same script. The OpenAPI description
is in schema.py.
"""

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from apps.http.bearer import bearer_user_id
from apps.http.problems import plain_problem, with_problem_responses
from apps.queue.wiring import check_place, clock, enter_queue, waiting_room
from domain.queue.model import PlaceState
from domain.queue.usecases import QueueAnswer


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat().replace("+00:00", "Z")


def client_ip(request: HttpRequest) -> str:
    value = request.META.get(settings.QUEUE_CLIENT_IP_HEADER) or request.META.get("REMOTE_ADDR")
    return str(value or "unknown").split(",")[0].strip()[:64]


def answer_body(answer: QueueAnswer, *, now_ms: int) -> dict[str, Any]:
    place = answer.place
    body: dict[str, Any] = {
        "status": place.state.value,
        "position": place.position,
        "eta_seconds": place.eta_seconds,
        "queue_token": answer.queue_token,
    }
    if place.state is PlaceState.PRE_QUEUE:
        body["opens_at"] = _iso(place.opens_at_ms)
        body["eta_seconds"] = max(0, -(-(place.opens_at_ms - now_ms) // 1000))
    if answer.access_token and answer.access_expires_ms:
        body["access_token"] = answer.access_token
        body["access_expires_at"] = _iso(answer.access_expires_ms)
    return body


@method_decorator(csrf_exempt, name="dispatch")  # bearer-token API: no cookies, no CSRF
@method_decorator(with_problem_responses, name="dispatch")
class QueueView(View):
    http_method_names = ["get", "post", "delete"]

    def post(self, request: HttpRequest, schedule_id: int) -> HttpResponse:
        """Enter the waiting room, or get the same place again."""
        answer = enter_queue()(
            schedule_id=schedule_id,
            user_id=bearer_user_id(request),
            client_ip=client_ip(request),
        )
        body = answer_body(answer, now_ms=clock().now_ms())
        return JsonResponse(body, status=201 if answer.place.created else 200)

    def get(self, request: HttpRequest, schedule_id: int) -> HttpResponse:
        """My place in the waiting room."""
        answer = check_place()(schedule_id=schedule_id, user_id=bearer_user_id(request))
        return JsonResponse(answer_body(answer, now_ms=clock().now_ms()))

    def delete(self, request: HttpRequest, schedule_id: int) -> HttpResponse:
        """Leave the queue or give the active slot back."""
        waiting_room().leave(schedule_id=schedule_id, user_id=bearer_user_id(request))
        return HttpResponse(status=204)

    def http_method_not_allowed(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = plain_problem(
            405, "method_not_allowed", "Method not allowed", f"{request.method} is not allowed here"
        )
        response["Allow"] = "GET, POST, DELETE"
        return response
