"""CASClient construction (host, scheme, port, uid, credentials, repr) and the checks that refuse bad
input before anything is sent (vault names, descriptions, sizes, ranges, job parameters)."""

from __future__ import annotations

import io
from typing import Any, Callable

import pytest
import responses

from cassdk_like.core.exceptions import (
    CASError,
    InvalidArgumentError,
    InvalidByteRangeError,
    InvalidDescriptionError,
    InvalidPartSizeError,
    InvalidVaultNameError,
    MissingCredentialsError,
)
from cassdk_like.vault.lowlevel import CASClient

from ._wire import CAS_APPID, CAS_HOST, CAS_ID, CAS_KEY, MiB, Sent, qsign_check, qsign_fields
from .conftest import ANY_URL

TREE_X = "b" * 64


def test_host_may_be_a_base_url_and_uid_may_be_dash(mock: responses.RequestsMock) -> None:
    mock.add("PUT", ANY_URL, status=201)
    with CASClient("http://127.0.0.1:8383", CAS_APPID, CAS_ID, CAS_KEY, uid="-") as client:
        client.create_vault("v1")
        assert client.endpoint == "http://127.0.0.1:8383"
    sent = Sent.of(mock.calls[0].request)
    assert mock.calls[0].request.url == "http://127.0.0.1:8383/-/vaults/v1"
    assert sent.headers["host"] == "127.0.0.1:8383"
    assert qsign_check(sent, now=sent_time(sent)) is None


def sent_time(sent: Sent) -> int:
    return int(qsign_fields(sent)["q-sign-time"].split(";")[0])


def test_scheme_and_port_options_build_the_endpoint() -> None:
    client = CASClient(CAS_HOST, CAS_APPID, CAS_ID, CAS_KEY, scheme="http", port=8080)
    assert client.endpoint == f"http://{CAS_HOST}:8080"
    assert CASClient(CAS_HOST, CAS_APPID, CAS_ID, CAS_KEY).endpoint == f"https://{CAS_HOST}"
    with pytest.raises(InvalidArgumentError):
        CASClient(CAS_HOST, CAS_APPID, CAS_ID, CAS_KEY, scheme="ftp")


def test_credentials_and_endpoint_come_from_the_environment(
    mock: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAS_ENDPOINT", "http://127.0.0.1:9999")
    monkeypatch.setenv("CAS_APPID", "777")
    monkeypatch.setenv("CAS_SECRET_ID", CAS_ID)
    monkeypatch.setenv("CAS_SECRET_KEY", CAS_KEY)
    mock.add("GET", ANY_URL, json={})
    client = CASClient()
    client.describe_vault("v1")
    assert mock.calls[0].request.url == "http://127.0.0.1:9999/777/vaults/v1"
    monkeypatch.delenv("CAS_SECRET_KEY")
    with pytest.raises(MissingCredentialsError):
        CASClient()


def test_repr_names_the_client_but_never_the_secret(cas: CASClient) -> None:
    text = repr(cas) + str(cas)
    assert CAS_HOST in text
    assert CAS_APPID in text
    assert "'cas'" in text
    assert CAS_KEY not in text


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda c: c.create_vault("bad name"), InvalidVaultNameError),
        (lambda c: c.describe_vault(""), InvalidVaultNameError),
        (lambda c: c.delete_vault("x" * 256), InvalidVaultNameError),
        (lambda c: c.upload_archive("v1", b"a", desc="caf\u00e9"), InvalidDescriptionError),
        (lambda c: c.upload_archive("v1", b"a", desc="x" * 1025), InvalidDescriptionError),
        (lambda c: c.upload_archive("v1", b"a", desc="line\nbreak"), InvalidDescriptionError),
        (lambda c: c.initiate_multipart_upload("v1", MiB, desc="\u00fc"), InvalidDescriptionError),
        (lambda c: c.initiate_job("v1", "inventory-retrieval", desc="\t"), InvalidDescriptionError),
        # docs/original-sdk-defects.md #11
        (lambda c: c.upload_archive("v1", io.BytesIO(b"abc")), InvalidArgumentError),
        (lambda c: c.upload_archive("v1", b"abc", size=4), InvalidArgumentError),
        (lambda c: c.upload_archive("v1", "text"), InvalidArgumentError),
        (lambda c: c.upload_archive("v1", b"a", etag="xyz"), InvalidArgumentError),
        (lambda c: c.initiate_multipart_upload("v1", 3 * MiB), InvalidPartSizeError),
        (lambda c: c.upload_part("v1", "UP1", b"ab", "0-"), InvalidByteRangeError),
        (lambda c: c.upload_part("v1", "UP1", b"ab", "0-2"), InvalidArgumentError),
        (lambda c: c.upload_part("v1", "bad/id", b"a", "0-0"), InvalidArgumentError),
        (
            lambda c: c.post_multipart_from_reader("v1", "UP", io.BytesIO(b"ab"), 2, "0-0"),
            InvalidArgumentError,
        ),
        (lambda c: c.complete_multipart_upload("v1", "UP1", 0, TREE_X), InvalidArgumentError),
        (lambda c: c.initiate_job("v1", "select"), InvalidArgumentError),
        (lambda c: c.initiate_job("v1", "archive-retrieval"), InvalidArgumentError),
        (lambda c: c.initiate_job("v1", "archive-retrieval", "A", marker="m"), InvalidArgumentError),
        (lambda c: c.initiate_job("v1", "archive-retrieval", "A", tier="Fast"), InvalidArgumentError),
        (lambda c: c.initiate_job("v1", "inventory-retrieval", format="XML"), InvalidArgumentError),
        (
            lambda c: c.initiate_job("v1", "pull-from-cos", bucket_endpoint="b", object_name="o"),
            InvalidArgumentError,
        ),
        (lambda c: c.get_job_output("v1", "J1", "5-1"), InvalidByteRangeError),
        (lambda c: c.list_jobs("v1", completed="yes"), InvalidArgumentError),
        (lambda c: c.list_jobs("v1", status_code="Done"), InvalidArgumentError),
        (lambda c: c.list_vaults(limit=0), InvalidArgumentError),
        (lambda c: c.add_tags_to_vault("v1", {}), InvalidArgumentError),
        (lambda c: c.remove_tags_from_vault("v1", "team"), InvalidArgumentError),
        (lambda c: c.set_vault_notifications("v1", "https://cb", []), InvalidArgumentError),
        (lambda c: c.set_vault_access_policy("v1", 42), InvalidArgumentError),
    ],
)
def test_bad_input_is_refused_before_sending(
    mock: responses.RequestsMock, cas: CASClient, call: Callable[[CASClient], Any], error: type[CASError]
) -> None:
    with pytest.raises(error) as info:
        call(cas)
    assert len(mock.calls) == 0
    assert info.value.operation  # errors name the operation


def test_description_of_1024_printable_bytes_is_accepted(
    mock: responses.RequestsMock, cas: CASClient
) -> None:
    mock.add("POST", ANY_URL, status=201)
    desc = "~" * 1024
    cas.upload_archive("v1", b"a", desc=desc)
    assert Sent.of(mock.calls[0].request).headers["x-cas-archive-description"] == desc


def test_cas_region_is_read_from_the_host() -> None:
    assert CASClient(CAS_HOST, CAS_APPID, CAS_ID, CAS_KEY).region == "ap-chengdu"
    assert CASClient("http://127.0.0.1:8383", CAS_APPID, CAS_ID, CAS_KEY).region == ""


def test_notification_url_must_be_text(mock: responses.RequestsMock, cas: CASClient) -> None:
    with pytest.raises(InvalidArgumentError, match="callback_url"):
        cas.set_vault_notifications("v1", "", ["ArchiveRetrievalCompleted"])
    assert len(mock.calls) == 0
