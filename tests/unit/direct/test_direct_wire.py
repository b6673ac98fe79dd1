"""What goes on the wire: the portal's bearer token, bare block GETs, paths, both schemas."""

from __future__ import annotations

import logging

import pytest
import responses

from cassdk_like.core.blockfile import BlockFormat, Codec
from cassdk_like.core.exceptions import InvalidArgumentError
from cassdk_like.direct import Client, Credentials, DirectIOHTTP
from tests.unit.direct._fixture import (
    BASE,
    KEY_ID,
    SECRET,
    SIGNATURE,
    block_calls,
    payload,
    portal_calls,
    publish,
    serve,
)


def test_metadata_is_a_bearer_get_under_the_base_path(mock: responses.RequestsMock, client: Client) -> None:
    serve(mock, publish(payload(3000), 1000))
    found = client.metadata(7)
    (call,) = portal_calls(mock)
    assert call.request.method == "GET"
    assert call.request.url == f"{BASE}/directio/7"
    assert call.request.headers["Authorization"] == f"Bearer {KEY_ID}"
    assert SECRET not in str(call.request.headers)
    assert call.request.body is None
    assert (found.size, len(found.blocks), found.encrypted) == (3000, 3, True)
    assert [b.offset for b in found.blocks] == [0, 1000, 2000]
    assert block_calls(mock) == []


def test_block_gets_carry_no_authorization_and_the_url_as_given(
    mock: responses.RequestsMock, client: Client
) -> None:
    published = publish(payload(3000), 1000)
    serve(mock, published)
    blocks = client.blocks(7, None, None)
    assert b"".join(b.data for b in blocks) == published.data
    calls = block_calls(mock)
    assert sorted(c.request.url for c in calls) == sorted(published.urls)
    for call in calls:
        assert "Authorization" not in call.request.headers
        assert "Range" not in call.request.headers


@pytest.mark.parametrize("legacy", [False, True], ids=["portal-8.3", "legacy"])
def test_both_metadata_schemas_are_read(mock: responses.RequestsMock, client: Client, legacy: bool) -> None:
    published = publish(payload(2500), 1000, legacy=legacy, codec=Codec.SNAPPY_XERIAL)
    serve(mock, published)
    assert client.metadata(7).compression == "SNAPPY"
    assert b"".join(b.data for b in client.blocks(7, None, None)) == published.data


@pytest.mark.parametrize(
    ("codec", "encrypted", "block_format"),
    [
        (Codec.NONE, False, BlockFormat.V1),
        (Codec.GZIP, False, BlockFormat.V1),
        (Codec.GZIP, True, BlockFormat.V1),
        (Codec.SNAPPY_RAW, True, BlockFormat.V2),
        (Codec.NONE, True, BlockFormat.V2),
    ],
)
def test_every_codec_and_format_decodes(
    mock: responses.RequestsMock, client: Client, codec: Codec, encrypted: bool, block_format: BlockFormat
) -> None:
    published = publish(payload(5000), 2048, codec=codec, encrypted=encrypted, block_format=block_format)
    serve(mock, published)
    meta = client.metadata(7)
    assert meta.block_format == int(block_format)
    assert b"".join(client.streamer(7, None)) == published.data


def test_metadata_never_holds_the_data_key(mock: responses.RequestsMock, client: Client) -> None:
    published = publish(payload(3000), 1000)
    serve(mock, published)
    found = client.metadata(7)
    assert published.key is not None
    assert found.key_fingerprint == published.key.fingerprint
    raw = published.key.reveal()
    for text in (repr(found), str(found), repr(found.encryption_key), repr(found.chunks)):
        assert SIGNATURE not in text
        assert raw.hex() not in text
    assert (
        not any(isinstance(v, bytes) and v == raw for v in vars(found).values())
        if hasattr(found, "__dict__")
        else True
    )


def test_the_secret_never_shows_in_a_repr() -> None:
    credentials = Credentials(KEY_ID, SECRET)
    assert SECRET not in repr(credentials)
    assert SECRET not in str(credentials)
    assert credentials == (KEY_ID, SECRET)
    with Client(BASE, credentials) as client:
        assert SECRET not in repr(client)


@pytest.mark.parametrize("file_id", [-1, 1.5, True, "7/../8", "", "abc", None])
def test_a_bad_file_id_is_refused_before_sending(
    mock: responses.RequestsMock, client: Client, file_id: object
) -> None:
    with pytest.raises(InvalidArgumentError, match="file_id") as caught:
        client.metadata(file_id)  # type: ignore[arg-type]
    assert (caught.value.operation, caught.value.resource) == ("metadata", f"file {file_id!r}")
    assert str(caught.value).startswith(f"metadata file {file_id!r}: ")
    assert len(mock.calls) == 0


def test_the_low_level_returns_error_answers_without_raising(mock: responses.RequestsMock) -> None:
    mock.add("GET", f"{BASE}/directio/9", status=401, json={"msg": "no"})
    with DirectIOHTTP(BASE, KEY_ID) as http:
        response = http.get_metadata(9)
        assert response.status == 401


def test_signed_urls_stay_out_of_the_debug_log(
    mock: responses.RequestsMock, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    serve(mock, publish(payload(3000), 1000))
    with caplog.at_level(logging.DEBUG):
        client.blocks(7, None, None)
    assert "GET /blocks/7/1" in caplog.text  # the path is logged
    assert SIGNATURE not in caplog.text
    assert "sas0" not in caplog.text
