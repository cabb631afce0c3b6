"""The waiting room: admits fans strictly in order at a controlled rate (docs/WAITING_ROOM.md)."""
