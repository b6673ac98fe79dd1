"""A file object whose part-sized reads fail past a point: an upload that breaks mid-way."""

from __future__ import annotations

import io

MiB = 1024 * 1024


class FailAfter(io.BytesIO):
    """Part-sized reads past ``limit`` fail (the whole-object hash reads in small chunks)."""

    def __init__(self, data: bytes, limit: int) -> None:
        super().__init__(data)
        self.limit = limit

    def readinto(self, buf) -> int:  # type: ignore[no-untyped-def,override]
        if self.tell() >= self.limit and len(buf) > 2 * MiB:
            raise OSError("simulated read error")
        return super().readinto(buf)
