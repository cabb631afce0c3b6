"""A clean stop on SIGTERM (a deploy, `docker stop`, Kubernetes) or Ctrl-C for the relay and
the consumers: the loop finishes the batch in hand (published and marked, or handed over
and its offsets committed) and then returns, so nothing is lost and nothing handled twice,
and a consumer leaves its group at once instead of stalling it until its session times
out."""

import signal
import threading
from types import FrameType


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT; the loops look at it between batches."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, on_signal)
    return stop
