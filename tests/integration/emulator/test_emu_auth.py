"""Signature rules (docs/vault-protocol.md §2): every request is verified, with documented errors."""

from __future__ import annotations

import json
import socket
import time

import pytest

from cassdk_like.emulator import Emulator
from tests.integration.emulator.emu_helpers import Raw, error_of


def test_reference_tree_hash_matches_protocol_vectors() -> None:
    """The tests' own tree hash gives the vectors of docs/vault-protocol.md §3.2, so it can judge."""
    from tests.integration.emulator.emu_helpers import ref_tree_hash

    assert ref_tree_hash(b"a") == "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
    assert ref_tree_hash(bytes(3 * 1048576 + 524288)) == (
        "69fa92ad252e24a084b9a1ca9483ede8f493cbb8ffbca27afa03199ef8d2da89"
    )
    patterned = bytes((7 * i) % 251 for i in range(3 * 1048576 + 524288))
    assert ref_tree_hash(patterned) == "094456e16bceb3fc2f45d87b61e61e1bde33b762ada2d1a9228412789152d2c9"


def test_correctly_signed_request_succeeds_with_request_id(cas: Raw) -> None:
    response = cas.request("GET", "/-/vaults")
    assert response.status_code == 200
    assert response.json() == {"Marker": None, "VaultList": []}
    assert len(response.headers["x-cas-requestId"]) >= 16


def test_bad_signature_is_invalid_signature_400(cas: Raw) -> None:
    response = cas.request("GET", "/-/vaults", tamper=True)
    assert error_of(response) == (400, "InvalidSignatureException", "Client")
    assert response.headers["x-cas-requestId"]


def test_wrong_secret_key_is_invalid_signature(emulator: Emulator) -> None:
    raw = Raw(emulator, secret_id=emulator.secret_id, secret_key="not-the-key")
    assert error_of(raw.request("PUT", "/-/vaults/v1")) == (400, "InvalidSignatureException", "Client")
    assert error_of(Raw(emulator).request("GET", "/-/vaults/v1"))[1] == "ResourceNotFoundException"


def test_unknown_secret_id_is_unrecognized_client(emulator: Emulator) -> None:
    raw = Raw(emulator, secret_id="AKIDunknown", secret_key=emulator.secret_key)
    assert error_of(raw.request("GET", "/-/vaults")) == (400, "UnrecognizedClientException", "Client")


def test_unsigned_request_is_missing_authentication_token(cas: Raw) -> None:
    response = cas.request("GET", "/-/vaults", sign=False)
    assert error_of(response) == (400, "MissingAuthenticationTokenException", "Client")


def test_expired_sign_time_is_refused(emulator: Emulator) -> None:
    """The SDK's window is 1200 s; a signature made 2000 s ago has expired."""
    raw = Raw(emulator, clock=lambda: time.time() - 2000)
    status, code, _ = error_of(raw.request("GET", "/-/vaults"))
    assert (status, code) == (400, "InvalidSignatureException")
    assert "expired" in raw.request("GET", "/-/vaults").json()["message"].lower()


def test_clock_skew_window(emulator: Emulator) -> None:
    """A client clock 10 minutes fast is inside the 900 s skew window; 30 minutes fast is not."""
    assert Raw(emulator, clock=lambda: time.time() + 600).request("GET", "/-/vaults").status_code == 200
    late = Raw(emulator, clock=lambda: time.time() + 1800).request("GET", "/-/vaults")
    assert error_of(late)[1] == "InvalidSignatureException"


def test_signed_parameter_changed_in_flight_is_refused(cas: Raw) -> None:
    """Query parameters listed in q-url-param-list are covered by the signature."""
    signed = cas.qsigner.sign("GET", "/-/vaults", [("limit", "2")], {"host": f"127.0.0.1:{cas.emu.port}"})
    response = cas.session.get(
        f"{cas.emu.endpoint}/-/vaults?limit=3",
        headers={"Authorization": signed, "Host": f"127.0.0.1:{cas.emu.port}"},
        timeout=10,
    )
    assert error_of(response)[1] == "InvalidSignatureException"


def test_appid_and_dash_both_work_other_accounts_denied(emulator: Emulator) -> None:
    assert Raw(emulator, uid=emulator.appid).request("PUT", f"/{emulator.appid}/vaults/v1").status_code == 201
    assert Raw(emulator).request("GET", "/-/vaults/v1").status_code == 200
    denied = Raw(emulator).request("GET", "/1234567/vaults/v1")
    assert error_of(denied) == (403, "AccessDeniedException", "Client")


@pytest.mark.parametrize(
    ("method", "path", "code", "status"),
    [
        ("GET", "/-/vault/v1", "ResourceNotFoundException", 404),
        ("PATCH", "/-/vaults/v1", "BadRequest", 405),
    ],
)
def test_unknown_paths_and_methods_get_json_errors(
    cas: Raw, method: str, path: str, code: str, status: int
) -> None:
    response = cas.request(method, path)
    assert error_of(response)[:2] == (status, code)
    assert response.headers["Content-Type"] == "application/json"


def test_repr_hides_secret_key(emulator: Emulator) -> None:
    assert emulator.secret_key not in repr(emulator)
    assert emulator.secret_id in repr(emulator)


@pytest.mark.parametrize(
    ("raw_request", "code"),
    [
        (b"FOO /-/vaults HTTP/1.1\r\nHost: x\r\n\r\n", "BadRequest"),
        (
            b"PUT /-/vaults/v HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "MissingParameterValueException",
        ),
    ],
)
def test_protocol_level_errors_are_json_with_request_id(
    emulator: Emulator, raw_request: bytes, code: str
) -> None:
    """Even errors raised by the HTTP layer itself keep the documented shape and request id."""
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=5) as sock:
        sock.sendall(raw_request)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"x-cas-requestId: " in head
    assert b"Connection: close" in head
    assert json.loads(body)["code"] == code
