"""Demo data to try every flow by hand, or a large sale for load tests.

manage.py seed_demo                      # a realistic demo in seconds
manage.py seed_demo --reset --concerts 20 --schedules 5 --seats 10000   # 1,000,000 seats
manage.py seed_demo --users 20000 --tokens-out .run/tokens.json         # load-test fans
"""

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.models import Value
from django.db.models.functions import Concat
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from adapters.user.orm import create_funded_fans
from apps.concert.models import ConcertRecord, ScheduleRecord, SeatRecord
from apps.concert.seating import add_seats
from apps.ops.progress import ProgressBar
from apps.payment.wiring import pay_for_reservation
from apps.reservation.wiring import hold_seats
from apps.user.models import LedgerEntryRecord, WalletRecord
from domain.concert.model import SectionPlan, lay_out_seats
from domain.errors import DomainError
from domain.payment.model import IdempotencyClaim, StoredAnswer

FAN_PREFIX = "fan"
FAN_PASSWORD = "fan-pass-1234"
STAFF_USERNAME = "admin"
STAFF_PASSWORD = "admin-pass-1234"

ARTISTS = [
    ("Aurora Lights", "Northern Skies Tour", "Olympic Hall, Seoul"),
    ("The Midnight Echo", "Afterglow Live", "Wembley Arena, London"),
    ("Hana & The Wolves", "Moonrise", "Tokyo Dome, Tokyo"),
    ("Velvet Static", "Signals", "Madison Square Garden, New York"),
    ("Solenne", "Paper Planes World Tour", "Accor Arena, Paris"),
    ("Kairo", "Desert Bloom", "Mercedes-Benz Arena, Berlin"),
    ("Blue Harbor", "Tides", "Sydney Opera House, Sydney"),
    ("Neon Orchard", "Electric Fields", "Ziggo Dome, Amsterdam"),
]

# (section, grade, price, share of the seats)
SECTIONS = [
    ("VIP", "VIP", 150_000, 0.1),
    ("Floor", "R", 120_000, 0.3),
    ("Lower", "S", 90_000, 0.3),
    ("Upper", "A", 60_000, 0.3),
]


def section_plans(seats: int) -> list[SectionPlan]:
    """Sections close to `seats` in total, in rows of up to 50."""
    per_row = min(50, max(5, seats // 40))
    plans = []
    for name, grade, price, share in SECTIONS:
        count = max(per_row, round(seats * share))
        plans.append(
            SectionPlan(
                name=name,
                grade=grade,
                price=price,
                rows=math.ceil(count / per_row),
                seats_per_row=per_row,
            )
        )
    return plans


@dataclass(frozen=True)
class SaleShape:
    kind: str
    opens: timedelta
    closes: timedelta
    starts: timedelta


# Schedules in every state: on sale, opening a few minutes after seeding, sold out, past.
SHAPES = {
    "on_sale": SaleShape("on_sale", timedelta(minutes=-10), timedelta(days=14), timedelta(days=21)),
    "opening": SaleShape("opening", timedelta(minutes=5), timedelta(days=14), timedelta(days=30)),
    "sold_out": SaleShape("sold_out", timedelta(days=-3), timedelta(days=10), timedelta(days=12)),
    "past": SaleShape("past", timedelta(days=-40), timedelta(days=-11), timedelta(days=-10)),
}
SHAPE_ORDER = ["on_sale", "opening", "sold_out", "past"]


def shape_for(index: int) -> SaleShape:
    return SHAPES[SHAPE_ORDER[index]] if index < len(SHAPE_ORDER) else SHAPES["on_sale"]


class Command(BaseCommand):
    help = "Create demo concerts, schedules, seats, fans with points and a staff account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--concerts", type=int, default=6)
        parser.add_argument("--schedules", type=int, default=3, help="per concert")
        parser.add_argument("--seats", type=int, default=400, help="per schedule (about)")
        parser.add_argument("--users", type=int, default=200, help="demo fans")
        parser.add_argument("--points", type=int, default=1_000_000, help="per fan")
        parser.add_argument("--max-active", type=int, default=100)
        parser.add_argument("--admit-per-second", type=int, default=20)
        parser.add_argument("--reset", action="store_true", help="delete demo data first")
        parser.add_argument("--tokens-out", type=Path, help="write fans' JWTs here (JSON)")
        parser.add_argument("--token-minutes", type=int, default=120)

    def handle(self, *args: Any, **options: Any) -> None:
        # Demo fans and an admin with published passwords; --reset deletes every concert.
        if settings.SETTINGS_MODULE == "config.settings.production":
            raise CommandError(
                "seed_demo refuses production settings: it makes accounts "
                "with published passwords and --reset deletes real data"
            )
        if options["reset"]:
            self._reset()
        elif ConcertRecord.objects.exists():
            self.stdout.write("Demo data already present (use --reset to start over).")
            self._print_credentials()
            return
        now = timezone.now()
        fans = self._seed_fans(options["users"], options["points"])
        sold_out = self._seed_catalog(now, options)
        if sold_out:
            self._sell_out(sold_out, fans)
        self._ensure_staff()
        if options["tokens_out"]:
            self._write_tokens(options["tokens_out"], fans, options["token_minutes"])
        self._print_credentials()

    def _reset(self) -> None:
        self.stdout.write("Deleting demo data ...")
        with connection.cursor() as cursor:
            for table in (
                "outbox_event",
                "ticket_mail",
                "idempotency_key",
                "payment",
                "reservation",
                "seat",
                "schedule",
                "concert",
            ):
                cursor.execute(f"DELETE FROM {table}")
        User = get_user_model()
        fan_ids = User.objects.filter(username__startswith=FAN_PREFIX).values("id")
        LedgerEntryRecord.objects.filter(user_id__in=fan_ids).delete()
        WalletRecord.objects.filter(user_id__in=fan_ids).delete()
        User.objects.filter(username__startswith=FAN_PREFIX).delete()

    def _seed_catalog(self, now: datetime, options: dict[str, Any]) -> int | None:
        """Creates concerts, schedules and seats; returns the schedule to sell out."""
        plans = section_plans(options["seats"])
        per_schedule = sum(p.rows * p.seats_per_row for p in plans)
        total = per_schedule * options["concerts"] * options["schedules"]
        bar = ProgressBar("seats", total)
        index = 0
        sold_out = None
        for c in range(options["concerts"]):
            artist, tour, venue = ARTISTS[c % len(ARTISTS)]
            round_no = c // len(ARTISTS)
            concert = ConcertRecord.objects.create(
                title=tour if round_no == 0 else f"{tour} ({round_no + 1})",
                artist=artist,
                venue=venue,
                description=f"{artist} live: {tour}.",
            )
            for s in range(options["schedules"]):
                shape = shape_for(index)
                index += 1
                day = timedelta(days=s)
                schedule = ScheduleRecord.objects.create(
                    concert=concert,
                    starts_at=now + shape.starts + day,
                    sale_opens_at=now + shape.opens,
                    sale_closes_at=now + shape.closes + day,
                    max_active=options["max_active"],
                    admit_per_second=options["admit_per_second"],
                )
                if shape.kind == "sold_out":
                    sold_out = schedule.id
                add_seats(schedule_id=schedule.id, seats=lay_out_seats(plans), on_batch=bar.advance)
        if total == 0:
            self.stdout.write("no seats requested")
        return sold_out

    def _sell_out(self, schedule_id: int, fans: list[int]) -> None:
        """Sells the schedule through real holds and payments, so that seats, reservations,
        payments and the ledger agree (manage.py reconcile stays clean)."""
        seats = list(
            SeatRecord.objects.filter(schedule_id=schedule_id)
            .order_by("id")
            .values_list("id", flat=True)
        )
        per_fan = min(
            ScheduleRecord.objects.get(id=schedule_id).max_seats_per_fan,
            settings.MAX_SEATS_PER_FAN,
        )
        bar = ProgressBar("sales", len(seats))
        for fan, start in zip(fans, range(0, len(seats), per_fan), strict=False):
            chunk = tuple(seats[start : start + per_fan])
            try:
                held = hold_seats()(user_id=fan, schedule_id=schedule_id, seat_ids=chunk)
                pay_for_reservation()(
                    claim=IdempotencyClaim(fan, f"seed-{held.id}", ""),
                    reservation_id=held.id,
                    schedule_id=schedule_id,
                    render=lambda receipt: StoredAnswer(201, {"id": receipt.id}),
                )
            except DomainError as exc:
                self.stdout.write(f"\nstopped selling out: {exc.detail}")
                return
            bar.advance(len(chunk))
        if len(fans) * per_fan < len(seats):
            self.stdout.write(f"\n{len(fans)} fans could buy only {len(fans) * per_fan} seats")

    def _seed_fans(self, count: int, points: int) -> list[int]:
        if count <= 0:
            return []
        password = make_password(FAN_PASSWORD)
        bar = ProgressBar("fans", count)
        width = max(4, len(str(count)))
        ids: list[int] = []
        for start in range(0, count, 2000):
            names = [
                f"{FAN_PREFIX}{n:0{width}d}" for n in range(start + 1, min(count, start + 2000) + 1)
            ]
            ids.extend(create_funded_fans(usernames=names, password_hash=password, points=points))
            bar.advance(len(names))
        # An address for the ticket mail (example.com receives nothing: RFC 2606).
        get_user_model().objects.filter(id__in=ids).update(
            email=Concat("username", Value("@example.com"))
        )
        return ids

    def _ensure_staff(self) -> None:
        User = get_user_model()
        if not User.objects.filter(username=STAFF_USERNAME).exists():
            User.objects.create_superuser(STAFF_USERNAME, "admin@example.com", STAFF_PASSWORD)

    def _write_tokens(self, path: Path, user_ids: list[int], minutes: int) -> None:
        tokens = []
        for user_id in user_ids:
            token = AccessToken()
            token["user_id"] = user_id
            token.set_exp(lifetime=timedelta(minutes=minutes))
            tokens.append({"user_id": user_id, "access": str(token)})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(tokens))
        self.stdout.write(f"Wrote {len(tokens):,} access tokens to {path}")

    def _print_credentials(self) -> None:
        self.stdout.write(self.style.SUCCESS("Demo ready."))
        self.stdout.write(f"  staff (admin at /admin/): {STAFF_USERNAME} / {STAFF_PASSWORD}")
        width = max(
            4, len(str(get_user_model().objects.filter(username__startswith=FAN_PREFIX).count()))
        )
        self.stdout.write(
            f"  fans: {FAN_PREFIX}{1:0{width}d}, {FAN_PREFIX}{2:0{width}d}, ... / {FAN_PASSWORD}"
        )
