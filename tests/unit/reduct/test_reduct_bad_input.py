"""Bad input is refused before anything is sent, with a typed error naming the operation and resource."""

from __future__ import annotations

import io

import pytest
import responses

from cassdk_like.core.exceptions import InvalidArgumentError, LocalFileError
from cassdk_like.reduct import (
    Batch,
    BatchTooLargeError,
    Bucket,
    Client,
    InvalidLabelError,
    InvalidNameError,
    Permissions,
    RecordBatch,
)
from cassdk_like.reduct.bodies import IteratorReader


@pytest.fixture
def bucket(client: Client) -> Bucket:
    client.lowlevel.set_api_version((1, 21))
    return Bucket("data", client)


def _batch(count: int, **labels: str) -> Batch:
    batch = Batch()
    for ts in range(count):
        batch.add(ts, b"x", labels=labels or None)
    return batch


CASES = {
    "bucket name with a dot": (
        lambda c, b: c.get_bucket("my.bucket"),
        InvalidNameError,
        "get_bucket",
        "my.bucket",
    ),
    "empty bucket name": (lambda c, b: c.create_bucket(""), InvalidNameError, "create_bucket", "bucket ''"),
    "entry with a space": (lambda c, b: b.write("a b", b"x", 1), InvalidNameError, "write", "'a b'"),
    "entry with an empty segment": (lambda c, b: b.write("a//b", b"x", 1), InvalidNameError, "write", "a//b"),
    "entry ending in /batch": (
        lambda c, b: b.write("cam/batch", b"x", 1),
        InvalidNameError,
        "write",
        "cam/batch",
    ),
    "entry starting with /": (lambda c, b: b.remove_entry("/cam"), InvalidNameError, "remove_entry", "/cam"),
    "negative timestamp": (lambda c, b: b.write("cam", b"x", -1), InvalidArgumentError, "write", "cam"),
    "bool timestamp": (
        lambda c, b: b.remove_record("cam", True),
        InvalidArgumentError,
        "remove_record",
        "cam",
    ),
    "bad ISO timestamp": (
        lambda c, b: b.update("cam", "noon", {"a": "1"}),
        InvalidArgumentError,
        "update",
        "cam",
    ),
    "upper-case label": (
        lambda c, b: b.write("cam", b"x", 1, labels={"Cam": "1"}),
        InvalidLabelError,
        "write",
        "cam",
    ),
    "label with a space": (
        lambda c, b: b.write("cam", b"x", 1, labels={"a b": "1"}),
        InvalidLabelError,
        "write",
        "",
    ),
    "non-ASCII label value": (
        lambda c, b: b.write("cam", b"x", 1, labels={"city": "Zürich"}),
        InvalidLabelError,
        "write",
        "cam",
    ),
    "label value with a newline": (
        lambda c, b: b.update("cam", 1, {"a": "x\r\ny: z"}),
        InvalidLabelError,
        "update",
        "cam",
    ),
    "computed label name": (
        lambda c, b: b.write("cam", b"x", 1, labels={"@a": "1"}),
        InvalidLabelError,
        "write",
        "",
    ),
    "empty label value in a write": (
        lambda c, b: b.write("cam", b"x", 1, labels={"a": ""}),
        InvalidLabelError,
        "write",
        "cam",
    ),
    "content length mismatch": (
        lambda c, b: b.write("cam", b"abc", 1, content_length=4),
        InvalidArgumentError,
        "write",
        "cam",
    ),
    "iterator without length": (
        lambda c, b: b.write("cam", iter([b"a"]), 1),
        InvalidArgumentError,
        "write",
        "cam",
    ),
    "str data": (lambda c, b: b.write("cam", "text", 1), InvalidArgumentError, "write", "cam"),  # type: ignore[arg-type]
    "text-mode file": (
        lambda c, b: b.write("cam", io.StringIO("x"), 1),
        InvalidArgumentError,
        "write",
        "cam",
    ),
    "content type with a newline": (
        lambda c, b: b.write("cam", b"x", 1, content_type="text/plain\n"),
        InvalidArgumentError,
        "write",
        "cam",
    ),
    "batch over the record limit": (
        lambda c, b: b.write_batch("cam", _batch(86)),
        BatchTooLargeError,
        "write_batch",  # the call the user made, not the v2 request under it
        "data",
    ),
    "batch content type with a comma": (
        lambda c, b: b.write_batch("cam", _content_type_batch()),
        InvalidArgumentError,
        "write_record_batch",
        "cam",
    ),
    "batch value with quote and comma": (
        lambda c, b: b.write_batch("cam", _batch(1, note='say "a,b"')),
        InvalidLabelError,
        "write_record_batch",
        "cam",
    ),
    "query without entries": (lambda c, b: b.query([]), InvalidNameError, "query", "data"),
    "query start after stop": (lambda c, b: b.query("cam", 10, 5), InvalidArgumentError, "query", "data"),
    "query ttl zero": (lambda c, b: b.query("cam", ttl=0), InvalidArgumentError, "query", "data"),
    "query when not a dict": (
        lambda c, b: b.query("cam", when="x > 1"),
        InvalidArgumentError,
        "query",
        "data",
    ),  # type: ignore[arg-type]
    "remove query selecting everything": (
        lambda c, b: b.remove_query("cam"),
        InvalidArgumentError,
        "remove_query",
        "",
    ),
    "token name with a slash": (lambda c, b: c.get_token("a/b"), InvalidNameError, "get_token", "a/b"),
    "permission on a bad name": (
        lambda c, b: c.create_token("t", Permissions(read=["a.b"])),
        InvalidArgumentError,
        "create_token",
        "'t'",
    ),
    "token ttl zero": (
        lambda c, b: c.create_token("t", Permissions(), ttl=0),
        InvalidArgumentError,
        "create_token",
        "",
    ),
    "bad ip allow-list": (
        lambda c, b: c.create_token("t", Permissions(), ip_allowlist=["10.0.0.300"]),
        InvalidArgumentError,
        "create_token",
        "'t'",
    ),
    "settings of the wrong type": (
        lambda c, b: b.set_settings({"quota_size": 1}),  # type: ignore[arg-type]
        InvalidArgumentError,
        "set_settings",
        "data",
    ),
}


def _content_type_batch() -> Batch:
    batch = Batch()
    batch.add(1, b"x", content_type="text/plain; a=1,b=2")
    return batch


@pytest.mark.parametrize("case", sorted(CASES))
def test_refused_before_sending(
    client: Client, bucket: Bucket, mock: responses.RequestsMock, case: str
) -> None:
    call, klass, operation, resource = CASES[case]
    with pytest.raises(klass) as caught:
        call(client, bucket)
    assert caught.value.operation == operation
    assert resource in (caught.value.resource or "")
    assert len(mock.calls) == 0


def test_a_v1_batch_refuses_names_with_equals_signs(client: Client, mock: responses.RequestsMock) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client.lowlevel.set_api_version((1, 17))
    batch = Batch()
    batch.add(1, b"x", labels={"a=b": "1"})
    with pytest.raises(InvalidLabelError, match="first '='"):
        Bucket("data", client).write_batch("cam", batch)
    assert len(mock.calls) == 0


def test_a_large_header_block_is_refused_with_its_limit(client: Client, mock: responses.RequestsMock) -> None:
    client.lowlevel.set_api_version((1, 21))
    batch = RecordBatch()
    for ts in range(80):
        batch.add("cam", ts, b"x", labels={"blob": f"{ts}" + "v" * 7000})
    with pytest.raises(BatchTooLargeError, match="RS_IO_BATCH_MAX_METADATA_SIZE"):
        Bucket("data", client).write_record_batch(batch)
    assert len(mock.calls) == 0


@pytest.mark.parametrize(
    ("chunks", "length", "words"),
    [([b"ab", b"c"], 4, "ended after 3 of the 4"), ([b"ab", b"cd"], 3, "more than the 3 bytes")],
)
def test_an_iterator_of_the_wrong_length_fails_the_upload(chunks: list, length: int, words: str) -> None:  # type: ignore[type-arg]
    reader = IteratorReader(chunks, length)
    with pytest.raises(OSError, match=words):
        reader.read(length)


def test_an_iterator_body_cannot_be_rewound_once_read() -> None:
    reader = IteratorReader([b"abc"], 3)
    reader.seek(0)  # before the first read: fine (the transport rewinds before every attempt)
    assert reader.read(2) == b"ab"
    with pytest.raises(OSError, match="cannot be read again"):
        reader.seek(0)


def test_an_unreadable_file_is_a_local_file_error(bucket: Bucket, mock: responses.RequestsMock) -> None:
    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            raise OSError("gone")

    with pytest.raises((LocalFileError, InvalidArgumentError)):
        bucket.write("cam", Broken(), 1)  # type: ignore[arg-type]
    assert len(mock.calls) == 0


def test_batch_add_refuses_bad_timestamps_and_data() -> None:
    batch = RecordBatch()
    with pytest.raises(InvalidArgumentError, match="before 1970"):
        batch.add("cam", -5, b"x")
    with pytest.raises(InvalidArgumentError, match="must be bytes"):
        batch.add("cam", 1, "text")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="non-empty"):
        batch.add("", 1, b"x")
    assert len(batch) == 0
