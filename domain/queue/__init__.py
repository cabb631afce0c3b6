"""The waiting room: admits fans strictly in order at a controlled rate (see ARCHITECTURE.md)."""
