"""Operate one schedule's waiting room.

manage.py queue stats   <schedule_id>        waiting, active, pre-queue, admitted, abandoned
manage.py queue admit   <schedule_id>        run one admission step now
manage.py queue pause   <schedule_id>        stop admitting (fans keep their places)
manage.py queue resume  <schedule_id>
manage.py queue purge   <schedule_id> --yes  empty the queue and the active set
manage.py queue export  <schedule_id>        CSV of waiting fans: position, user, entry
"""

import csv
from dataclasses import fields
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.queue.wiring import clock, waiting_room

ACTIONS = ("stats", "admit", "pause", "resume", "purge", "export")


class Command(BaseCommand):
    help = "Inspect and steer a schedule's waiting room."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=ACTIONS)
        parser.add_argument("schedule_id", type=int)
        parser.add_argument("--yes", action="store_true", help="confirm purge")

    def handle(self, *args: Any, action: str, schedule_id: int, **options: Any) -> None:
        room = waiting_room()
        now = clock().now_ms()
        if action == "stats":
            stats = room.stats(schedule_id=schedule_id, now_ms=now)
            for field in fields(stats):
                self.stdout.write(f"{field.name:<20} {getattr(stats, field.name)}")
        elif action == "admit":
            admitted = room.tick(schedule_id=schedule_id, now_ms=now)
            self.stdout.write(f"admitted {len(admitted)} fans")
        elif action in ("pause", "resume"):
            room.set_paused(schedule_id=schedule_id, paused=action == "pause")
            self.stdout.write(f"admission {action}d for schedule {schedule_id}")
        elif action == "purge":
            if not options["yes"]:
                raise CommandError("purge drops every place and slot: add --yes to confirm")
            room.purge(schedule_id=schedule_id)
            self.stdout.write(f"waiting room of schedule {schedule_id} emptied")
        else:
            writer = csv.writer(self.stdout)
            writer.writerow(["position", "user_id", "entry_number"])
            for position, (user_id, entry) in enumerate(
                room.waiting_users(schedule_id=schedule_id), start=1
            ):
                writer.writerow([position, user_id, entry])
