"""A file object whose part-sized reads fail past a point: an upload that breaks mid-way."""

from __future__ import annotations

import io
from typing import Any

import pytest

from cassdk_like.bucket import Bucket
from cassdk_like.engine import MultipartUploadError, TransferConfig

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


def interrupted_upload(
    bucket: Bucket, data: bytes, key: str, stored: int, **options: Any
) -> MultipartUploadError:
    """Upload ``data`` in 5 MiB parts through one worker, its reads failing past ``stored`` bytes,
    kept for resume; returns the error, which names the upload."""
    with pytest.raises(MultipartUploadError) as caught:
        bucket.upload_file(
            FailAfter(data, stored),
            key,
            threshold=5 * MiB,
            part_size=5 * MiB,
            config=TransferConfig(max_workers=1, min_part_size=5 * MiB),
            keep_for_resume=True,
            **options,
        )
    return caught.value
