from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.concert.wiring import cancel_schedule


class Command(BaseCommand):
    help = "Cancel a schedule: every hold is released and every purchase refunded (a saga)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("schedule_id", type=int)

    def handle(self, *args: Any, schedule_id: int, **options: Any) -> None:
        if cancel_schedule()(schedule_id=schedule_id):
            self.stdout.write(
                f"schedule {schedule_id} cancelled; refunds follow "
                "(consume_events --group reservation)"
            )
        else:
            self.stdout.write(f"schedule {schedule_id} was already cancelled")
