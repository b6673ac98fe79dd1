"""ReductStore in a few lines: a bucket, records with labels, a batch, a query, a streamed read,
label updates and a read-only token -- with the blocking client that speaks reduct-py's names.

Runs against a throw-away local emulator; set ``REDUCT_URL`` (and ``REDUCT_API_TOKEN``) to use a
real server instead.  See docs/reduct-client.md for what each call sends.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from pathlib import Path
from typing import Iterator, Optional, Tuple

from cassdk_like.emulator import Emulator
from cassdk_like.reduct import Batch, BucketSettings, Client, Forbidden, Permissions, QuotaType

BASE_TS = 1_700_000_000_000_000  # µs


@contextlib.contextmanager
def server() -> Iterator[Tuple[str, Optional[str]]]:
    """(url, token) of REDUCT_URL, else of a local emulator with an init token."""
    if os.environ.get("REDUCT_URL"):
        yield os.environ["REDUCT_URL"], os.environ.get("REDUCT_API_TOKEN")
        return
    token = f"example-{uuid.uuid4().hex}"
    with Emulator(reduct_api_token=token) as emu:
        yield emu.endpoints["reduct"], token


def main() -> None:
    with server() as (url, token), Client(url, api_token=token, timeout=30) as client:
        print(f"server {client.info().version} (API {client.api_version})")
        bucket = client.create_bucket(
            f"quickstart-{uuid.uuid4().hex[:8]}", BucketSettings(quota_type=QuotaType.FIFO, quota_size=10**9)
        )

        # single records: bytes with labels, then an iterator streamed with its length
        bucket.write(
            "sensors/temp", b"21.5", timestamp=BASE_TS, labels={"unit": "c"}, content_type="text/plain"
        )
        chunks = (f"line {i}\n".encode() for i in range(100))
        bucket.write(
            "logs", chunks, timestamp=BASE_TS, content_length=sum(len(f"line {i}\n") for i in range(100))
        )

        # a batch: one request, and the server's verdict per record
        batch = Batch()
        for i in range(1, 50):
            batch.add(
                BASE_TS + i * 1_000_000, f"{20 + i / 10:.1f}".encode(), "text/plain", {"unit": "c", "n": i}
            )
        batch.add(BASE_TS, b"duplicate")  # the first record's timestamp: refused, the rest are stored
        refused = bucket.write_batch("sensors/temp", batch)
        print(f"batch: {len(batch) - len(refused)} stored, refused {sorted(refused)} ({refused[BASE_TS]})")

        # a query: time range plus a condition on a label
        hot = [
            r.read_all().decode() for r in bucket.query("sensors/*", start=BASE_TS, when={"&n": {"$gte": 45}})
        ]
        print(f"readings with n >= 45: {hot}")

        # a streamed read into a file
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / "logs.txt"
            with bucket.read("logs", BASE_TS) as record, target.open("wb") as out:
                copied = record.read_into(out)
            assert target.read_text().splitlines()[-1] == "line 99"
        print(f"read {copied} bytes of logs")

        bucket.update("sensors/temp", BASE_TS, {"checked": "yes", "unit": ""})
        with bucket.read("sensors/temp", BASE_TS, head=True) as record:
            assert record.labels == {"checked": "yes"}

        if token is not None:  # tokens need a server with authentication on
            name = f"reader-{uuid.uuid4().hex[:8]}"
            secret = client.create_token(name, Permissions(read=[bucket.name]))
            with Client(url, api_token=secret) as reader:
                assert len(list(reader.get_bucket(bucket.name).query("logs"))) == 1
                try:
                    reader.get_bucket(bucket.name).write("logs", b"no", timestamp=BASE_TS + 1)
                except Forbidden as exc:
                    print(f"read-only token refused a write: {exc.message}")
            client.remove_token(name)

        entries = {entry.name: entry.record_count for entry in bucket.get_entry_list()}
        assert entries["sensors/temp"] == 50, entries
        bucket.remove()
        print("reduct quickstart verified")


if __name__ == "__main__":
    main()
