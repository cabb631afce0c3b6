"""The waiting room (docs/WAITING_ROOM.md): one Redis round trip per call and no SQL.

These are plain Django views, not DRF: on the path every fan hits several times a minute,
DRF's request wrapping, content negotiation and rendering cost more than the Redis call
(docs/PERFORMANCE.md). The JWT is verified without loading the user (apps.http.bearer), and
the schedule's settings are read from Redis inside the same script. The OpenAPI description
is in schema.py.
"""

import hashlib
import json
import time
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
from apps.queue.wiring import check_place, clock, enter_queue, read_queue_state, waiting_room
from domain.queue.model import PlaceState, QueueNotFound, QueueState
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
class _SharedState:
    expires: float  # time.monotonic()
    body: bytes
    etag: str
    missing: QueueNotFound | None = None


# Per process: the state of each schedule as last read, reused for QUEUE_STATE_MAX_AGE_SECONDS,
# so a process answers any number of readers with at most one Redis call a second each.
_shared_states: dict[int, _SharedState] = {}
_MAX_SHARED = 10_000  # unknown ids are remembered too; a flood of them must not grow this


def _shared_state(schedule_id: int) -> _SharedState:
    now = time.monotonic()
    shared = _shared_states.get(schedule_id)
    if shared is not None and shared.expires > now:
        return shared
    expires = now + settings.QUEUE_STATE_MAX_AGE_SECONDS
    try:
        body = state_body(read_queue_state()(schedule_id=schedule_id))
    except QueueNotFound as missing:
        shared = _SharedState(expires=expires, body=b"", etag="", missing=missing)
    else:
        # Weak: two answers that differ only in `as_of` say the same thing about the line.
        fingerprint = json.dumps({**body, "as_of": None}, sort_keys=True).encode()
        etag = f'W/"{hashlib.blake2b(fingerprint, digest_size=8).hexdigest()}"'
        shared = _SharedState(expires=expires, body=json.dumps(body).encode(), etag=etag)
    if len(_shared_states) >= _MAX_SHARED:
        _shared_states.clear()
    _shared_states[schedule_id] = shared
    return shared


class QueueStateView(View):
    """How far the line has moved (public, no authentication, cacheable by nginx or a CDN)."""

    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, schedule_id: int) -> HttpResponse:
        shared = _shared_state(schedule_id)
        if shared.missing is not None:
            raise shared.missing
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
