"""Reusable test helpers (real local servers that misbehave on purpose)."""
