"""Paying for a hold with points, idempotently, and refunds (docs/BOOKING.md)."""
