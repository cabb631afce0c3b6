"""The waiting-room endpoints, with the real Redis and database."""

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import override_settings
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication

from adapters.queue import connection
from apps.concert.models import ScheduleRecord
from apps.queue import wiring
from apps.queue.api import views
from apps.queue.permissions import HasAccessToken
from domain.queue.access import AccessTokens
from tests.api.test_auth_api import assert_problem
from tests.conftest import Fan

pytestmark = pytest.mark.django_db(transaction=True)
MakeSchedule = Callable[..., ScheduleRecord]


def forget_wiring() -> None:
    # The beats an earlier test left are sent now: the sender thread of the heartbeats
    # forgotten below would otherwise send them within a second, into this test's counts.
    wiring.heartbeats().send()
    for built in (
        connection.queue_redis,
        wiring.waiting_room,
        wiring.enter_queue,
        wiring.check_place,
        wiring.leave_queue,
        wiring.require_access,
        wiring.read_queue_state,
        wiring.line_states,
        wiring.heartbeats,
    ):
        built.cache_clear()
    views._rendered.clear()


@pytest.fixture(autouse=True)
def _fresh_wiring() -> Iterator[None]:
    forget_wiring()
    yield
    forget_wiring()


def queue_url(schedule_id: int) -> str:
    return f"/api/v1/schedules/{schedule_id}/queue"


def test_enter_poll_and_leave_without_any_sql(
    make_fan: Callable[..., Fan],
    make_schedule: MakeSchedule,
    django_assert_num_queries: Any,
) -> None:
    schedule = make_schedule(max_active=1)
    first, second = make_fan().client(), make_fan().client()
    first.post(queue_url(schedule.id))
    with django_assert_num_queries(0):
        entered = second.post(queue_url(schedule.id))
        again = second.post(queue_url(schedule.id))
        polled = second.get(queue_url(schedule.id))
        left = second.delete(queue_url(schedule.id))
    assert entered.status_code == 201 and again.status_code == 200
    body = entered.json()
    assert body["status"] == "waiting" and body["position"] == 1
    assert body["eta_seconds"] >= 1 and body["queue_token"]
    assert again.json()["queue_token"] == body["queue_token"]
    assert polled.json()["position"] == 1
    assert body["entry_number"] == 2 and body["heartbeat_seconds"] >= 1
    assert left.status_code == 204
    assert_problem(second.get(queue_url(schedule.id)), 404, "not_in_queue")


def evalsha_calls() -> int:
    """Scripts Redis ran. Not a NOSCRIPT answer (a script this Redis has not loaded yet, or
    since a SCRIPT FLUSH), which Redis counts as a failed call and the caller follows with
    the same script again."""
    stats = wiring.waiting_room().client.info("commandstats").get("cmdstat_evalsha", {})
    return int(stats.get("calls", 0)) - int(stats.get("failed_calls", 0))


def test_a_heartbeat_with_its_receipt_is_answered_without_redis_and_sent_in_a_batch(
    make_fan: Callable[..., Fan], make_schedule: MakeSchedule
) -> None:
    schedule = make_schedule(max_active=1, admit_per_second=1)  # near the front: 10 places
    # Batches sent by hand, and the line's state kept however slow the machine: a state
    # read again after its second is a Redis call of its own.
    with override_settings(QUEUE_HEARTBEAT_BATCH_SECONDS=3600, QUEUE_STATE_MAX_AGE_SECONDS=3600):
        forget_wiring()
        fans = [make_fan().client() for _ in range(15)]
        entered = [client.post(queue_url(schedule.id)).json() for client in fans]
        back, receipt = fans[-1], entered[-1]["queue_token"]
        assert entered[-1]["position"] == 14  # the first fan is in; past the 10 nearest
        back.get(f"{queue_url(schedule.id)}/state")  # this process reads the line's state
        before = evalsha_calls()
        beats = [back.get(queue_url(schedule.id), HTTP_X_QUEUE_TOKEN=receipt) for _ in range(3)]
        assert evalsha_calls() == before
        for beat in beats:
            body = beat.json()
            assert beat.status_code == 200 and body["status"] == "waiting"
            assert body["position"] == 14 and body["entry_number"] == 15
            assert body["queue_token"] == receipt and body["eta_seconds"] >= 1
        assert wiring.heartbeats().send() == 1  # one fan's beats, in one call
        assert evalsha_calls() == before + 1

        # Not this fan's receipt: refused, whoever's it is.
        other = entered[-2]["queue_token"]
        for wrong in (other, receipt[:-3] + "abc", "q.1.2"):
            response = back.get(queue_url(schedule.id), HTTP_X_QUEUE_TOKEN=wrong)
            assert_problem(response, 400, "invalid_queue_token")
        # Left through this process: the receipt no longer answers for a place.
        assert back.delete(queue_url(schedule.id)).status_code == 204
        response = back.get(queue_url(schedule.id), HTTP_X_QUEUE_TOKEN=receipt)
        assert_problem(response, 404, "not_in_queue")


def test_admitted_fans_get_an_access_token(fan: Fan, make_schedule: MakeSchedule) -> None:
    schedule = make_schedule()
    body = fan.client().post(queue_url(schedule.id)).json()
    assert body["status"] == "admitted" and body["position"] == 0
    assert body["access_token"] and body["access_expires_at"].endswith("Z")


def test_before_opening_fans_wait_in_the_pre_queue(fan: Fan, make_schedule: MakeSchedule) -> None:
    schedule = make_schedule(opens_in=timedelta(minutes=5))
    body = fan.client().post(queue_url(schedule.id)).json()
    assert body["status"] == "pre_queue" and body["entry_number"] is None
    assert body["opens_at"] and 290 <= body["eta_seconds"] <= 300
    assert fan.client().get(queue_url(schedule.id)).json()["status"] == "pre_queue"


def test_unknown_closed_and_anonymous(
    fan: Fan, anonymous: APIClient, make_schedule: MakeSchedule
) -> None:
    assert_problem(fan.client().post(queue_url(987_654)), 404, "not_found")
    closed = make_schedule(opens_in=timedelta(days=-5), closes_in=timedelta(seconds=-1))
    assert_problem(fan.client().post(queue_url(closed.id)), 409, "sale_closed")
    assert_problem(anonymous.post(queue_url(closed.id)), 401, "not_authenticated")


def test_settings_lost_by_redis_are_restored_from_the_database(
    fan: Fan, make_schedule: MakeSchedule
) -> None:
    schedule = make_schedule()
    wiring.waiting_room().client.flushdb()
    assert fan.client().post(queue_url(schedule.id)).status_code == 201


def test_entry_is_rate_limited_per_fan(fan: Fan, make_schedule: MakeSchedule) -> None:
    schedule = make_schedule()
    with override_settings(QUEUE_ENTRY_RATE_PER_USER=0.5, QUEUE_ENTRY_BURST_PER_USER=2):
        forget_wiring()
        client = fan.client()
        client.post(queue_url(schedule.id))
        client.post(queue_url(schedule.id))
        response = client.post(queue_url(schedule.id))
    assert_problem(response, 429, "rate_limited")
    assert int(response["Retry-After"]) >= 1


def test_redis_down_is_a_503_and_nobody_gets_in(fan: Fan, make_schedule: MakeSchedule) -> None:
    schedule = make_schedule()
    with override_settings(QUEUE_REDIS_URL="redis://127.0.0.1:1/0"):
        forget_wiring()
        for response in (
            fan.client().post(queue_url(schedule.id)),
            fan.client().get(queue_url(schedule.id)),
        ):
            problem = assert_problem(response, 503, "queue_unavailable")
            assert int(response["Retry-After"]) >= 1
            assert "access_token" not in problem


class ScheduleScopedView(APIView):
    """Stands in for the reservation endpoints: needs an access token for ?schedule=."""

    authentication_classes = [JWTStatelessUserAuthentication]
    permission_classes = [HasAccessToken]

    def access_schedule_id(self, request: Request) -> int:
        return int(request.query_params["schedule"])

    def post(self, request: Request) -> Response:
        return Response({"ok": True})


def act(fan: Fan, schedule_id: int, token: str | None) -> Any:
    factory = APIRequestFactory()
    headers = {"HTTP_X_ACCESS_TOKEN": token} if token else {}
    request = factory.post(f"/act?schedule={schedule_id}", **headers)
    request.META["HTTP_AUTHORIZATION"] = f"Bearer {fan.access}"
    response = ScheduleScopedView.as_view()(request)
    response.render()
    return response


def test_access_tokens_are_checked_for_owner_schedule_expiry_and_slot(
    make_fan: Callable[..., Fan], make_schedule: MakeSchedule
) -> None:
    schedule, other_schedule = make_schedule(), make_schedule()
    fan, other = make_fan(), make_fan()
    token = fan.client().post(queue_url(schedule.id)).json()["access_token"]
    other.client().post(queue_url(other_schedule.id))
    assert act(fan, schedule.id, token).status_code == 200

    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    stranger = AccessTokens(secret=b"not-our-secret").issue(
        user_id=fan.id, schedule_id=schedule.id, expires_ms=10**13
    )
    expired = wiring.access_tokens().issue(
        user_id=fan.id, schedule_id=schedule.id, expires_ms=1_000
    )
    for bad in (None, "garbage", forged, stranger, expired):
        assert_problem(act(fan, schedule.id, bad), 403, "not_admitted")
    assert_problem(act(other, schedule.id, token), 403, "not_admitted")  # another fan's
    assert_problem(act(fan, other_schedule.id, token), 403, "not_admitted")  # another show

    fan.client().delete(queue_url(schedule.id))  # the slot is given back
    assert_problem(act(fan, schedule.id, token), 403, "not_admitted")


def state_url(schedule_id: int) -> str:
    return f"/api/v1/schedules/{schedule_id}/queue/state"


def test_the_public_state_is_cacheable_and_needs_no_sql(
    make_fan: Callable[..., Fan],
    make_schedule: MakeSchedule,
    anonymous: APIClient,
    django_assert_num_queries: Any,
) -> None:
    schedule = make_schedule(max_active=1)
    fans = [make_fan().client() for _ in range(3)]
    entries = [fan.post(queue_url(schedule.id)).json() for fan in fans]
    with django_assert_num_queries(0):
        response = anonymous.get(state_url(schedule.id))
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=1, stale-if-error=5"
    state = response.json()
    assert state["schedule_id"] == schedule.id and state["phase"] == "open"
    assert (state["serving"], state["waiting"]) == (1, 2)  # the first fan was admitted
    assert state["as_of"].endswith("Z") and state["opens_at"].endswith("Z")
    assert state["admitted_per_second"] >= 0
    # Every fan can tell its own position from the shared answer.
    assert [e["entry_number"] - state["serving"] for e in entries[1:]] == [1, 2]
    # Nothing about any one fan in it.
    assert set(state) == {
        "schedule_id", "phase", "serving", "waiting", "admitted_per_second", "opens_at", "as_of",
        "seats_available", "sold_out",
    }  # fmt: skip
    # The seats are counted by the admission tick, which has not run yet.
    assert (state["seats_available"], state["sold_out"]) == (None, False)

    etag = response["ETag"]
    again = anonymous.get(state_url(schedule.id), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag and not again.content
    other = anonymous.get(state_url(schedule.id), HTTP_IF_NONE_MATCH='W/"something-else"')
    assert other.status_code == 200

    fans[0].delete(queue_url(schedule.id))  # the line moves: a new state, a new tag
    wiring.line_states().forget()  # as if a second had passed
    fans[1].get(queue_url(schedule.id))  # admitted on the way
    moved = anonymous.get(state_url(schedule.id), HTTP_IF_NONE_MATCH=etag)
    assert moved.status_code == 200 and moved["ETag"] != etag
    assert moved.json()["serving"] == 2


def test_the_public_state_of_each_phase(
    make_fan: Callable[..., Fan], make_schedule: MakeSchedule, anonymous: APIClient
) -> None:
    early = make_schedule(opens_in=timedelta(minutes=5))
    make_fan().client().post(queue_url(early.id))
    closed = make_schedule(opens_in=timedelta(days=-5), closes_in=timedelta(seconds=-1))
    paused = make_schedule()
    wiring.waiting_room().set_paused(schedule_id=paused.id, paused=True)
    state = {s.id: anonymous.get(state_url(s.id)).json() for s in (early, closed, paused)}
    assert state[early.id]["phase"] == "pre_queue" and state[early.id]["waiting"] == 1
    assert state[closed.id]["phase"] == "closed"
    assert state[paused.id]["phase"] == "paused"


def test_the_public_state_of_unknown_schedules_and_without_redis(
    make_schedule: MakeSchedule, anonymous: APIClient
) -> None:
    assert_problem(anonymous.get(state_url(987_654)), 404, "not_found")
    schedule = make_schedule()
    wiring.waiting_room().client.flushdb()  # settings lost: restored from the database
    assert anonymous.get(state_url(schedule.id)).json()["phase"] == "open"
    with override_settings(QUEUE_REDIS_URL="redis://127.0.0.1:1/0"):
        forget_wiring()
        response = anonymous.get(state_url(schedule.id))
    assert_problem(response, 503, "queue_unavailable")
    assert int(response["Retry-After"]) >= 1
