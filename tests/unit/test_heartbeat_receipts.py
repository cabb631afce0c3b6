"""A heartbeat that brings the fan's queue token is answered from the line's state without
the room, while the fan is clearly still waiting (domain/queue/usecases.py CheckPlace), on
in-memory fakes. The batches on a real Redis: tests/integration/test_waiting_room.py."""

import math
from dataclasses import replace

import pytest

from domain.queue.access import AccessTokens, queue_token
from domain.queue.model import (
    InvalidQueueToken,
    NotInQueue,
    PlaceState,
    QueueNotFound,
    QueuePhase,
    QueueState,
)
from domain.queue.usecases import CheckPlace, LeaveQueue
from tests.queue_fakes import NOW_MS, FakeClock, FakeQueueSettingsSource, FakeWaitingRoom
from tests.unit.test_queue_usecases import settings_for

SHOW, FAN, RIVAL = 7, 100, 101
TOKENS = AccessTokens(secret=b"test-secret")

# 1,000 fans served, 20 a second: ETAs 1 s at place 1 ... 50 s at place 1,000.
LINE = QueueState(
    schedule_id=SHOW,
    phase=QueuePhase.OPEN,
    serving=1_000,
    waiting=1_000,
    admitted_per_second=20.0,
    opens_at_ms=NOW_MS - 60_000,
    as_of_ms=NOW_MS,
    heartbeat_seconds=10,
    eta_points=((1, 1), (100, 5), (125, 7), (1_000, 50)),
)


class Line:
    def __init__(self, state: QueueState | None = LINE) -> None:
        self.state = state

    def current(self, *, schedule_id: int) -> QueueState:
        if self.state is None or schedule_id != self.state.schedule_id:
            raise QueueNotFound(f"no waiting room for schedule {schedule_id}")
        return self.state


class Beats:
    def __init__(self) -> None:
        self.recorded: list[tuple[int, int]] = []
        self.lost: set[tuple[int, int]] = set()

    def record(self, *, schedule_id: int, user_id: int) -> None:
        self.recorded.append((schedule_id, user_id))

    def known_lost(self, *, schedule_id: int, user_id: int) -> bool:
        return (schedule_id, user_id) in self.lost

    def mark_lost(self, *, schedule_id: int, user_id: int) -> None:
        self.lost.add((schedule_id, user_id))

    def forget_lost(self, *, schedule_id: int, user_id: int) -> None:
        self.lost.discard((schedule_id, user_id))


class CountingRoom(FakeWaitingRoom):
    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    def place(self, *, schedule_id: int, user_id: int, now_ms: int) -> object:  # type: ignore[override]
        self.asked += 1
        return super().place(schedule_id=schedule_id, user_id=user_id, now_ms=now_ms)


def receipt(entry: int, *, user_id: int = FAN, schedule_id: int = SHOW) -> str:
    return queue_token(TOKENS, user_id=user_id, schedule_id=schedule_id, entry=entry)


def check_place(room: FakeWaitingRoom, line: Line, beats: Beats) -> CheckPlace:
    return CheckPlace(
        room=room,
        settings=FakeQueueSettingsSource(),
        tokens=TOKENS,
        clock=FakeClock(),
        line=line,
        heartbeats=beats,
    )


@pytest.fixture
def room() -> CountingRoom:
    room = CountingRoom()
    room.store_settings(settings_for(SHOW), now_ms=NOW_MS)  # open a minute ago
    room.set_paused(schedule_id=SHOW, paused=True)  # nobody admitted: places stay
    return room


@pytest.mark.parametrize("phase", [QueuePhase.OPEN, QueuePhase.PAUSED])
def test_a_fan_far_from_the_front_is_answered_from_the_line_and_the_beat_recorded(
    room: CountingRoom, phase: QueuePhase
) -> None:
    beats = Beats()
    answer = check_place(room, Line(replace(LINE, phase=phase)), beats)(
        schedule_id=SHOW, user_id=FAN, receipt=receipt(1_112)
    )
    assert room.asked == 0
    assert beats.recorded == [(SHOW, FAN)]
    place = answer.place
    assert (place.state, place.position, place.entry_number) == (PlaceState.WAITING, 112, 1_112)
    assert place.eta_seconds == 6  # between 5 s at place 100 and 7 s at place 125
    assert place.heartbeat_seconds == 10
    assert answer.queue_token == receipt(1_112)
    assert answer.access_token is None


@pytest.mark.parametrize(
    "why, line, entry",
    [
        # Within 3 s of the line's pace (60 places at 20 a second): the fan may be admitted
        # any moment, and a claim must get the access token.
        ("near the front", LINE, 1_060),
        ("served: the claim", LINE, 1_000),
        # A rate just raised to 100 a second: within 3 s of it (300 places), whatever the
        # line's measured pace still says.
        ("near the front at the rate in force", replace(LINE, admission_rate=100), 1_250),
        ("closed: the room tells a waiting fan", replace(LINE, phase=QueuePhase.CLOSED), 1_500),
        ("before the opening", replace(LINE, phase=QueuePhase.PRE_QUEUE), 1_500),
        ("no state of the line", None, 1_500),
    ],
)
def test_otherwise_the_room_answers(
    room: CountingRoom, why: str, line: QueueState | None, entry: int
) -> None:
    beats = Beats()
    with pytest.raises(NotInQueue):  # the fan never entered this fake room
        check_place(room, Line(line), beats)(schedule_id=SHOW, user_id=FAN, receipt=receipt(entry))
    assert room.asked == 1, why
    assert beats.recorded == []


def test_a_fan_a_batch_found_without_a_place_hears_it_from_the_room(room: CountingRoom) -> None:
    beats = Beats()
    beats.mark_lost(schedule_id=SHOW, user_id=FAN)
    check = check_place(room, Line(), beats)
    with pytest.raises(NotInQueue):
        check(schedule_id=SHOW, user_id=FAN, receipt=receipt(1_500))
    assert room.asked == 1

    # Back in line (entered again): the room says so, and the next beat is cheap again.
    room.enter(schedule_id=SHOW, user_id=FAN, client_ip="203.0.113.5", now_ms=NOW_MS)
    again = check(schedule_id=SHOW, user_id=FAN, receipt=receipt(1_500))
    assert again.place.state is PlaceState.WAITING and room.asked == 2
    check(schedule_id=SHOW, user_id=FAN, receipt=receipt(1_500))
    assert room.asked == 2 and beats.recorded == [(SHOW, FAN)]


def test_a_fan_who_left_through_this_process_hears_it_at_the_next_heartbeat(
    room: CountingRoom,
) -> None:
    """Leaving (or paying, which gives the slot back) goes through LeaveQueue, which marks
    the fan lost here: its old receipt no longer gets `waiting` from the line's state."""
    beats = Beats()
    room.enter(schedule_id=SHOW, user_id=FAN, client_ip="203.0.113.5", now_ms=NOW_MS)
    assert LeaveQueue(room=room, heartbeats=beats)(schedule_id=SHOW, user_id=FAN)
    with pytest.raises(NotInQueue):
        check_place(room, Line(), beats)(schedule_id=SHOW, user_id=FAN, receipt=receipt(1_500))
    assert room.asked == 1 and beats.recorded == []


@pytest.mark.parametrize(
    "token",
    [
        receipt(1_500, user_id=RIVAL),  # another fan's
        receipt(1_500, schedule_id=SHOW + 1),  # another schedule's
        receipt(1_500)[:-2] + "xx",  # forged
        "q.100.7.1500",  # unsigned
        "not-a-token",
    ],
)
def test_a_receipt_that_is_not_this_fans_for_this_schedule_is_refused(
    room: CountingRoom, token: str
) -> None:
    beats = Beats()
    with pytest.raises(InvalidQueueToken):
        check_place(room, Line(), beats)(schedule_id=SHOW, user_id=FAN, receipt=token)
    assert room.asked == 0 and beats.recorded == []


def test_without_a_receipt_the_room_answers_as_before(room: CountingRoom) -> None:
    room.enter(schedule_id=SHOW, user_id=FAN, client_ip="203.0.113.5", now_ms=NOW_MS)
    beats = Beats()
    answer = check_place(room, Line(), beats)(schedule_id=SHOW, user_id=FAN)
    assert answer.place.state is PlaceState.WAITING
    assert room.asked == 1 and beats.recorded == []


def test_the_eta_between_and_past_the_points_of_the_line() -> None:
    assert [LINE.eta_seconds(p) for p in (1, 100, 112, 125, 1_000)] == [1, 5, 6, 7, 50]
    # Past the last point (fans who entered after the state was read): its last slope.
    assert LINE.eta_seconds(1_200) == math.ceil(50 + 43 * 200 / 875)
    assert replace(LINE, eta_points=()).eta_seconds(5) is None
