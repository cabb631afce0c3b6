"""A plain-text progress bar for management commands (no dependency, works in any terminal)."""

import sys
import time
from typing import TextIO


class ProgressBar:
    def __init__(self, label: str, total: int, *, out: TextIO | None = None, width: int = 30):
        self.label, self.total, self.width = label, max(total, 1), width
        self.out = out or sys.stdout
        self.done = 0
        self.started = time.monotonic()
        self._drawn_at = 0.0

    def advance(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if now - self._drawn_at > 0.2 or self.done >= self.total:
            self._drawn_at = now
            self._draw()

    def _draw(self) -> None:
        share = min(self.done / self.total, 1.0)
        filled = int(share * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = time.monotonic() - self.started
        counts = f"{self.done:>10,}/{self.total:,}"
        self.out.write(f"\r{self.label:<8} [{bar}] {share:6.1%} {counts} {elapsed:5.1f}s")
        if self.done >= self.total:
            self.out.write("\n")
        self.out.flush()
