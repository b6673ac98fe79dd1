"""Status mapping, errno, retry counts, the 403 refresh, and what error messages may hold."""

from __future__ import annotations

import errno
import pickle
from typing import Any, Dict, List, Tuple

import pytest
import responses

from cassdk_like.core.blockfile import BlockFormat, Codec
from cassdk_like.core.exceptions import CASServerError
from cassdk_like.direct import (
    AuthorizationError,
    BlocksNotFoundError,
    BlockValidationError,
    Client,
    Credentials,
    DecompressBlockError,
    DecryptBlockError,
    DecryptKeyError,
    DirectIOError,
    DirectIOServerError,
    DownloadError,
    FileAccessDeniedError,
    MetadataError,
    ObjectNotFoundError,
    PortalServerError,
    SignedURLExpiredError,
    UnsupportedStorageError,
)
from tests.unit.direct._fixture import (
    BASE,
    KEY_ID,
    SIGNATURE,
    PublishedFile,
    add_block,
    block_calls,
    block_url,
    payload,
    portal_calls,
    publish,
    serve,
)
from tests.unit.direct.conftest import FAST


@pytest.mark.parametrize(
    ("status", "klass", "code", "attempts"),
    [
        (400, ObjectNotFoundError, errno.ENOENT, 1),
        (401, AuthorizationError, errno.EACCES, 1),
        (403, FileAccessDeniedError, errno.EACCES, 1),
        (404, ObjectNotFoundError, errno.ENOENT, 1),
        (422, UnsupportedStorageError, errno.ENOTSUP, 1),
        (500, PortalServerError, errno.EIO, FAST.total_attempts),
        (503, PortalServerError, errno.EIO, FAST.total_attempts),
        (418, DirectIOServerError, errno.EIO, 1),
    ],
)
def test_metadata_statuses_map_to_typed_errors_and_only_transient_ones_retry(
    mock: responses.RequestsMock, client: Client, status: int, klass: type, code: int, attempts: int
) -> None:
    mock.add("GET", f"{BASE}/directio/5", status=status, json={"message": "refused"})
    with pytest.raises(klass) as caught:
        client.metadata(5)
    error = caught.value
    assert type(error) is klass
    assert isinstance(error, DirectIOError)
    assert isinstance(error, CASServerError)
    assert error.errno == code
    assert error.status == status
    assert len(mock.calls) == attempts
    assert type(pickle.loads(pickle.dumps(error))) is klass


def test_an_empty_block_map_is_blocks_not_found(mock: responses.RequestsMock, client: Client) -> None:
    mock.add("GET", f"{BASE}/directio/5", json={"wrapped_key": "x", "chunks": []})
    with pytest.raises(BlocksNotFoundError) as caught:
        client.metadata(5)
    assert caught.value.errno == errno.ENODATA


@pytest.mark.parametrize(
    "document",
    [
        [],
        {"chunks": [{"url": "https://s/1", "len": 3}]},
        {"wrapped_key": "k", "chunks": [{"url": "ftp://x", "len": 1}]},
        {"wrapped_key": "k", "chunks": [{"url": "https://s/1", "len": -1}]},
    ],
    ids=["not-an-object", "no-key-fields", "bad-url", "negative-len"],
)
def test_a_malformed_document_is_a_metadata_error(
    mock: responses.RequestsMock, client: Client, document: object
) -> None:
    mock.add("GET", f"{BASE}/directio/5", json=document)
    with pytest.raises(MetadataError):
        client.metadata(5)


def test_a_wrong_secret_is_a_decrypt_key_error(mock: responses.RequestsMock) -> None:
    serve(mock, publish(payload(2000), 1000))
    other = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="  # another 32-byte secret
    with (
        Client(BASE, Credentials(KEY_ID, other), retry_policy=FAST) as wrong,
        pytest.raises(DecryptKeyError) as caught,
    ):
        wrong.blocks(7, None, None)
    assert caught.value.errno == errno.EACCES
    assert block_calls(mock) == []


def test_a_short_secret_is_refused_not_padded(mock: responses.RequestsMock) -> None:
    serve(mock, publish(payload(2000), 1000))
    short = Client(BASE, Credentials(KEY_ID, "c2hvcnQ="), retry_policy=FAST)
    with short, pytest.raises(DecryptKeyError, match="fewer than 32"):
        short.metadata(7)


def _renewable() -> Tuple[PublishedFile, List[str], Dict[str, Any]]:
    """A 3-block file, the URLs a second metadata answer gives, and that answer."""
    first = publish(payload(3000), 1000)
    fresh_urls = [block_url(7, n, generation=1) for n in (1, 2, 3)]
    return first, fresh_urls, dict(first.document, chunks=[{"url": u, "len": 1000} for u in fresh_urls])


def test_a_block_403_refreshes_the_metadata_once_and_reads_the_fresh_urls(
    mock: responses.RequestsMock, client: Client
) -> None:
    first, fresh_urls, fresh = _renewable()
    mock.add("GET", f"{BASE}/directio/7", json=first.document)
    mock.add("GET", f"{BASE}/directio/7", json=fresh)
    for url in first.urls:
        add_block(mock, url, status=403)
    for url, body in zip(fresh_urls, first.stored):
        add_block(mock, url, body)
    assert b"".join(b.data for b in client.blocks(7, None, None)) == first.data
    assert len(portal_calls(mock)) == 2


def test_a_second_403_is_signed_url_expired_without_the_url(
    mock: responses.RequestsMock, client: Client
) -> None:
    published = publish(payload(3000), 1000)
    mock.add("GET", f"{BASE}/directio/7", json=published.document)
    for url in published.urls:
        add_block(mock, url, status=403)
    with pytest.raises(SignedURLExpiredError) as caught:
        client.blocks(7, [2], None)
    error = caught.value
    assert error.errno == errno.EACCES
    assert error.status == 403
    assert error.block is not None
    assert error.block.number == 2
    assert len(portal_calls(mock)) == 2  # the first answer and one refresh, never more
    assert len(block_calls(mock)) == 2  # 403s are not retried otherwise
    for text in (str(error), repr(error), repr(error.block)):
        assert SIGNATURE not in text
        assert "sas" not in text


def test_a_block_404_is_a_download_error_not_retried(mock: responses.RequestsMock, client: Client) -> None:
    published = publish(payload(2000), 1000)
    mock.add("GET", f"{BASE}/directio/7", json=published.document)
    add_block(mock, published.urls[0], status=404)
    with pytest.raises(DownloadError) as caught:
        client.blocks(7, [1], None)
    assert (caught.value.status, caught.value.block.number) == (404, 1)  # type: ignore[union-attr]
    assert len(block_calls(mock)) == 1


def test_a_block_5xx_is_retried_by_the_transport(mock: responses.RequestsMock, client: Client) -> None:
    published = publish(payload(2000), 1000)
    mock.add("GET", f"{BASE}/directio/7", json=published.document)
    add_block(mock, published.urls[0], status=503)
    add_block(mock, published.urls[0], published.stored[0])
    (block,) = client.blocks(7, [1], None)
    assert block.data == published.plain(1)
    assert len(block_calls(mock)) == 2


def _serve_with(mock: responses.RequestsMock, published: object, stored: list) -> None:
    mock.add("GET", f"{BASE}/directio/7", json=published.document)  # type: ignore[attr-defined]
    for url, body in zip(published.urls, stored):  # type: ignore[attr-defined]
        add_block(mock, url, body)


def test_a_flipped_bit_in_a_v2_block_is_a_decrypt_error(mock: responses.RequestsMock, client: Client) -> None:
    published = publish(payload(3000), 1000, block_format=BlockFormat.V2)
    stored = list(published.stored)
    tampered = bytearray(stored[1])
    tampered[20] ^= 1
    stored[1] = bytes(tampered)
    _serve_with(mock, published, stored)
    with pytest.raises(DecryptBlockError) as caught:
        client.blocks(7, None, None)
    assert caught.value.block is not None
    assert caught.value.block.number == 2


def test_swapped_v2_blocks_are_refused(mock: responses.RequestsMock, client: Client) -> None:
    published = publish(payload(3000), 1000, block_format=BlockFormat.V2)
    stored = [published.stored[1], published.stored[0], published.stored[2]]
    _serve_with(mock, published, stored)
    with pytest.raises(DecryptBlockError):
        client.blocks(7, None, None)


def test_a_truncated_v1_block_is_a_decrypt_error(mock: responses.RequestsMock, client: Client) -> None:
    published = publish(payload(3000), 1000)
    stored = list(published.stored)
    stored[2] = stored[2][:-5]
    _serve_with(mock, published, stored)
    with pytest.raises(DecryptBlockError) as caught:
        client.blocks(7, [3], None)
    assert caught.value.block.number == 3  # type: ignore[union-attr]


def test_a_wrong_length_is_a_validation_error_not_a_decompress_error(
    mock: responses.RequestsMock, client: Client
) -> None:
    published = publish(payload(3000), 1000, codec=Codec.GZIP)
    published.document["chunks"][0]["len"] = 999
    _serve_with(mock, published, published.stored)
    with pytest.raises(BlockValidationError) as caught:
        client.blocks(7, [1], None)
    assert caught.value.errno == errno.EBADMSG


def test_a_corrupt_codec_stream_is_a_decompress_error(mock: responses.RequestsMock, client: Client) -> None:
    published = publish(payload(3000), 1000, codec=Codec.GZIP, encrypted=False)
    stored = list(published.stored)
    stored[0] = stored[0][:12] + b"\xff" * 20 + stored[0][32:]
    _serve_with(mock, published, stored)
    with pytest.raises((DecompressBlockError, BlockValidationError)):
        client.blocks(7, [1], None)


def test_block_and_stream_errors_keep_their_context_through_pickle() -> None:
    from cassdk_like.direct import BlockInfo, StreamError

    info = BlockInfo(7, 2, 1000, 1000)
    error = SignedURLExpiredError("refused again", block=info, status=403, operation="get_block")
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), again.block, again.status, again.errno) == (
        SignedURLExpiredError,
        info,
        403,
        errno.EACCES,
    )
    assert str(again) == "get_block file 7 block 2: refused again"
    stream = pickle.loads(pickle.dumps(StreamError("stopped", offset=1234, operation="stream")))
    assert (stream.offset, stream.operation) == (1234, "stream")


def test_an_executor_with_a_file_id_renews_expired_urls_of_its_chunks(
    mock: responses.RequestsMock, client: Client
) -> None:
    first, fresh_urls, fresh = _renewable()
    mock.add("GET", f"{BASE}/directio/7", json=first.document)
    meta = client.metadata(7)
    mock.replace("GET", f"{BASE}/directio/7", json=fresh)
    add_block(mock, first.urls[2], status=403)
    add_block(mock, fresh_urls[2], first.stored[2])
    download = client.executor([meta.chunks[2]], meta.encryption_key, file_id=7)
    assert [b.data for b in download()] == [first.plain(3)]
    assert len(portal_calls(mock)) == 2


def test_an_executor_without_a_file_id_cannot_renew_and_says_so(
    mock: responses.RequestsMock, client: Client
) -> None:
    published = publish(payload(2000), 1000)
    mock.add("GET", f"{BASE}/directio/7", json=published.document)
    meta = client.metadata(7)
    add_block(mock, published.urls[0], status=403)
    with pytest.raises(SignedURLExpiredError, match="no way to renew") as caught:
        client.executor([meta.chunks[0]], meta.encryption_key)()
    assert caught.value.block == meta.blocks[0]
    assert len(portal_calls(mock)) == 1
