"""Seat holds, their expiry and cancellation (see ARCHITECTURE.md "Seats and money")."""
