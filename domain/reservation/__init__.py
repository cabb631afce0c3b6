"""Seat holds, their expiry and cancellation (docs/BOOKING.md)."""
