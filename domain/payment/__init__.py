"""Paying for a hold with points, idempotently, and refunds (see ARCHITECTURE.md)."""
