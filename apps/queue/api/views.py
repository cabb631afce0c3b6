"""The waiting room (docs/WAITING_ROOM.md): one Redis round trip per call and no SQL.

These are plain Django views, not DRF: on the path every fan hits several times a minute,
DRF's request wrapping, content negotiation and rendering cost more than the Redis call
(docs/PERFORMANCE.md). The JWT is verified without loading the user (apps.http.bearer), and
the schedule's settings are read from Redis inside the same script. The OpenAPI description
is in schema.py.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from apps.http.bearer import bearer_user_id
from apps.http.client_address import client_address
from apps.http.conditional import client_has, shared_cache
from apps.http.problems import plain_problem, with_problem_responses
from apps.queue.line_states import MAX_SCHEDULES
from apps.queue.wiring import check_place, clock, enter_queue, leave_queue, line_states
from domain.queue.model import PlaceState, QueueState
from domain.queue.usecases import QueueAnswer


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat().replace("+00:00", "Z")


def answer_body(answer: QueueAnswer, *, now_ms: int) -> dict[str, Any]:
    place = answer.place
    body: dict[str, Any] = {
        "status": place.state.value,
        "position": place.position,
        "eta_seconds": place.eta_seconds,
        "queue_token": answer.queue_token,
        "entry_number": place.entry_number,
        "heartbeat_seconds": place.heartbeat_seconds,
    }
    if place.state is PlaceState.PRE_QUEUE:
        body["opens_at"] = _iso(place.opens_at_ms)
        body["eta_seconds"] = max(0, -(-(place.opens_at_ms - now_ms) // 1000))
    if answer.access_token and answer.access_expires_ms:
        body["access_token"] = answer.access_token
        body["access_expires_at"] = _iso(answer.access_expires_ms)
    return body


class QueueView(View):
    http_method_names = ["get", "post", "delete"]

    def post(self, request: HttpRequest, schedule_id: int) -> HttpResponse:
        """Enter the waiting room, or get the same place again."""
        answer = enter_queue()(
            schedule_id=schedule_id,
            user_id=bearer_user_id(request),
            client_ip=client_address(request),
        )
        body = answer_body(answer, now_ms=clock().now_ms())
        return JsonResponse(body, status=201 if answer.place.created else 200)

    def get(self, request: HttpRequest, schedule_id: int) -> HttpResponse:
        """My place in the waiting room: the heartbeat, and the claim once served. With the
        queue token of the fan's last answer in X-Queue-Token, a fan still waiting is
        answered without a Redis call (CheckPlace)."""
        answer = check_place()(
            schedule_id=schedule_id,
            user_id=bearer_user_id(request),
            receipt=request.META.get("HTTP_X_QUEUE_TOKEN") or None,
        )
        return JsonResponse(answer_body(answer, now_ms=clock().now_ms()))

    def delete(self, request: HttpRequest, schedule_id: int) -> HttpResponse:
        """Leave the queue or give the active slot back."""
        leave_queue()(schedule_id=schedule_id, user_id=bearer_user_id(request))
        return HttpResponse(status=204)

    def http_method_not_allowed(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = plain_problem(
            405, "method_not_allowed", "Method not allowed", f"{request.method} is not allowed here"
        )
        response["Allow"] = "GET, POST, DELETE"
        return response


def state_body(state: QueueState) -> dict[str, Any]:
    return {
        "schedule_id": state.schedule_id,
        "phase": state.phase.value,
        "serving": state.serving,
        "waiting": state.waiting,
        "admitted_per_second": round(state.admitted_per_second, 2),
        "opens_at": _iso(state.opens_at_ms),
        "as_of": _iso(state.as_of_ms),
        # Seats free to hold now (null until counted), and whether none are left at all: a
        # seat of a hold that lapses comes back, so 0 seats free is not yet sold out.
        "seats_available": None if state.seats is None else state.seats.free,
        "sold_out": state.seats is not None and state.seats.sold_out,
    }


@dataclass(frozen=True, slots=True)
class _Rendered:
    state: QueueState
    body: bytes
    etag: str


# Per process: the body and ETag of each schedule's state as last rendered, for as long as
# the process reuses that state (apps.queue.line_states).
_rendered: dict[int, _Rendered] = {}


def _rendered_state(schedule_id: int) -> _Rendered:
    state = line_states().current(schedule_id=schedule_id)
    rendered = _rendered.get(schedule_id)
    if rendered is not None and rendered.state is state:
        return rendered
    body = state_body(state)
    # Weak: two answers that differ only in `as_of` say the same thing about the line.
    fingerprint = json.dumps({**body, "as_of": None}, sort_keys=True).encode()
    etag = f'W/"{hashlib.blake2b(fingerprint, digest_size=8).hexdigest()}"'
    rendered = _Rendered(state=state, body=json.dumps(body).encode(), etag=etag)
    if len(_rendered) >= MAX_SCHEDULES:  # as many as the states a process keeps
        _rendered.clear()
    _rendered[schedule_id] = rendered
    return rendered


class QueueStateView(View):
    """How far the line has moved (public, no authentication, cacheable by nginx or a CDN)."""

    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, schedule_id: int) -> HttpResponse:
        shared = _rendered_state(schedule_id)
        if client_has(request, shared.etag):
            response = HttpResponse(status=304)
        else:
            response = HttpResponse(shared.body, content_type="application/json")
        response["ETag"] = shared.etag
        # A cache may keep serving the last copy for a few seconds if we fail (nginx does).
        response["Cache-Control"] = shared_cache(settings.QUEUE_STATE_MAX_AGE_SECONDS)
        return response


def as_api_view(view_class: type[View]) -> Callable[..., HttpResponseBase]:
    """The view function, decorated once here rather than on every call as
    method_decorator does (a measurable share of these requests): problem+json for domain
    errors and unreachable dependencies, and no CSRF (bearer-token API, no cookies)."""
    return csrf_exempt(with_problem_responses(view_class.as_view()))


queue_view = as_api_view(QueueView)
queue_state_view = as_api_view(QueueStateView)
