"""q-sign: the three worked examples of docs/vault-protocol.md §2.3, byte for byte, and the verifier.

The examples use SecretId AKIDEXAMPLE and SecretKey EXAMPLESECRETKEY; their signatures were
reproduced with the original SDK's ``create_auth`` (see the protocol notes), so matching them
means matching the SDK on the wire.
"""

from __future__ import annotations

from typing import Callable, Dict, List, Optional, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cassdk_like.core.auth import qsign
from cassdk_like.core.auth.qsign import (
    DEFAULT_EXPIRES,
    QSigner,
    build_authorization,
    compute_qsign,
    format_headers,
    format_parameters,
    parse_authorization,
    qsign_encode,
    verify_qsign,
)
from cassdk_like.core.exceptions import InvalidArgumentError

SECRET_ID = "AKIDEXAMPLE"
SECRET_KEY = "EXAMPLESECRETKEY"
HOST = "cas.ap-chengdu.myqcloud.com"
T0 = 1480932292

EX1 = {
    "secret_id": SECRET_ID,
    "secret_key": SECRET_KEY,
    "method": "PUT",
    "path": "/-/vaults/example",
    "params": [],
    "headers": {"Host": HOST},
    "sign_time": "1480932292;1481012292",
}
EX2_PARAMS = [("limit", "2"), ("marker", "qcs::cas:ap-chengdu:uid/1250000000:vaults/MyVault")]
EX3_PATH = "/-/vaults/example/multipart-uploads/UPLOADID"
EX3_HEADERS = {
    "Host": HOST,
    "Content-Length": "16777216",
    "x-cas-content-sha256": "a" * 64,
    "x-cas-sha256-tree-hash": "b" * 64,
}


def frozen(t: float = T0) -> Callable[[], float]:
    return lambda: t


# --- docs/vault-protocol.md §2.3, example 1 ---------------------------------------------------


def test_example1_intermediate_values() -> None:
    parts = compute_qsign(**EX1)  # type: ignore[arg-type]
    assert parts.format_string == "put\n/-/vaults/example\n\nhost=cas.ap-chengdu.myqcloud.com\n"
    assert parts.sign_key == "53d179ba98dd852990af2748ce744941dd91d653"
    assert parts.format_string_sha1 == "1b5fdaae0e441958e4d6f647dad3fd2595156d3d"
    assert parts.string_to_sign == "sha1\n1480932292;1481012292\n1b5fdaae0e441958e4d6f647dad3fd2595156d3d\n"


def test_example1_authorization_with_frozen_clock() -> None:
    signer = QSigner(SECRET_ID, SECRET_KEY, expires=1481012292 - T0, clock=frozen())
    assert signer.sign("PUT", "/-/vaults/example", [], {"Host": HOST}) == (
        "q-sign-algorithm=sha1&q-ak=AKIDEXAMPLE&q-sign-time=1480932292;1481012292"
        "&q-key-time=1480932292;1481012292&q-header-list=host&q-url-param-list="
        "&q-signature=fbe23908f6968c69b1137d74eedfe7bb526adb70"
    )


# --- example 2 ----------------------------------------------------------------------------------------


def test_example2_intermediate_values() -> None:
    parts = compute_qsign(
        secret_id=SECRET_ID,
        secret_key=SECRET_KEY,
        method="GET",
        path="/1250000000/vaults",
        params=EX2_PARAMS,
        headers={"Host": HOST},
        sign_time="1480932292;1480933492",
    )
    assert parts.format_parameters == (
        "limit=2&marker=qcs%3A%3Acas%3Aap-chengdu%3Auid%2F1250000000%3Avaults%2Fmyvault"
    )
    assert parts.sign_key == "4cce126a08b13f79a62c1c0245b5b58cbe10b1e6"
    assert parts.format_string_sha1 == "05b0791bc33973a9cc27b645c224259ee4d58ac6"
    assert parts.url_param_list == "limit;marker"
    assert parts.signature == "36580e019bff0519cb675247c056d692e112b236"


def test_example2_authorization_with_default_validity() -> None:
    signer = QSigner(SECRET_ID, SECRET_KEY, clock=frozen())
    assert signer.expires == DEFAULT_EXPIRES == 1200
    auth = signer.sign("GET", "/1250000000/vaults", EX2_PARAMS, {"Host": HOST})
    assert auth == (
        "q-sign-algorithm=sha1&q-ak=AKIDEXAMPLE&q-sign-time=1480932292;1480933492"
        "&q-key-time=1480932292;1480933492&q-header-list=host&q-url-param-list=limit;marker"
        "&q-signature=36580e019bff0519cb675247c056d692e112b236"
    )
    assert signer.sign("GET", "/1250000000/vaults", EX2_PARAMS[::-1], {"Host": HOST}) == auth  # order-free


# --- example 3 ----------------------------------------------------------------------------------------


def test_example3_intermediate_values_and_signature() -> None:
    parts = compute_qsign(
        secret_id=SECRET_ID,
        secret_key=SECRET_KEY,
        method="PUT",
        path=EX3_PATH,
        params=[],
        headers=EX3_HEADERS,
        sign_time="1480932292;1480933492",
    )
    assert parts.header_list == "content-length;host;x-cas-content-sha256;x-cas-sha256-tree-hash"
    assert parts.format_string_sha1 == "2facb0733a2effc19111a7e1c2d31eb030a2bc2f"
    assert parts.signature == "50f48d8699dfdd7808c833782d235c0a7c5e1999"


def test_example3_via_signer_and_build_authorization() -> None:
    by_signer = QSigner(SECRET_ID, SECRET_KEY, clock=frozen(T0 + 0.9)).sign("PUT", EX3_PATH, [], EX3_HEADERS)
    by_function = build_authorization(
        secret_id=SECRET_ID,
        secret_key=SECRET_KEY,
        method="put",
        path=EX3_PATH,
        params=[],
        headers=EX3_HEADERS,
        start=T0,
        end=T0 + 1200,
    )
    assert by_signer == by_function
    assert by_signer.endswith(
        "&q-header-list=content-length;host;x-cas-content-sha256;x-cas-sha256-tree-hash"
        "&q-url-param-list=&q-signature=50f48d8699dfdd7808c833782d235c0a7c5e1999"
    )


# --- encoding and formatting rules --------------------------------------------------------------------


def test_header_value_encoding_check_from_the_sdk() -> None:
    assert qsign_encode("my file (1).tar gz~") == "my%20file%20%281%29.tar%20gz~"
    text, names = format_headers({"X-CAS-Archive-Description": "my file (1).tar gz~"})
    assert text == "x-cas-archive-description=my%20file%20%281%29.tar%20gz~"
    assert names == "x-cas-archive-description"


def test_encoding_keeps_only_unreserved_and_uses_upper_case_hex() -> None:
    assert qsign_encode("AZaz09-_.~") == "AZaz09-_.~"
    assert qsign_encode("/:+=&é") == "%2F%3A%2B%3D%26%C3%A9"


def test_parameter_values_are_lowercased_header_values_are_not() -> None:
    assert format_parameters([(" Marker ", "ABC/Def")]) == ("marker=abc%2Fdef", "marker")
    assert format_headers({" X-Cas-Thing ": "ABC"}) == ("x-cas-thing=ABC", "x-cas-thing")


def test_empty_parameter_value_is_written_key_equals() -> None:
    assert format_parameters([("versioning", "")]) == ("versioning=", "versioning")


def test_repeated_parameter_is_signed_twice_and_listed_once() -> None:
    assert format_parameters([("b", "2"), ("a", "y"), ("a", "x")]) == ("a=x&a=y&b=2", "a;b")


def test_headers_given_twice_in_different_case_are_rejected() -> None:
    with pytest.raises(InvalidArgumentError):
        format_headers({"Host": "a", "host": "b"})


def test_authorization_field_order() -> None:
    auth = QSigner(SECRET_ID, SECRET_KEY, clock=frozen()).sign("GET", "/", [], {})
    assert [item.split("=", 1)[0] for item in auth.split("&")] == [
        "q-sign-algorithm",
        "q-ak",
        "q-sign-time",
        "q-key-time",
        "q-header-list",
        "q-url-param-list",
        "q-signature",
    ]
    assert parse_authorization(auth)["q-header-list"] == ""


@pytest.mark.parametrize(("start", "end"), [(-1, 5), (10, 9), (0, 10**10)])
def test_build_authorization_rejects_bad_window(start: int, end: int) -> None:
    with pytest.raises(InvalidArgumentError):
        build_authorization(
            secret_id="a", secret_key="b", method="GET", path="/", params=[], headers={}, start=start, end=end
        )


@pytest.mark.parametrize(
    ("secret_id", "secret_key", "expires"), [("", "k", 10), ("i", "", 10), ("i", "k", 0)]
)
def test_signer_rejects_bad_settings(secret_id: str, secret_key: str, expires: int) -> None:
    with pytest.raises(InvalidArgumentError):
        QSigner(secret_id, secret_key, expires=expires)


def test_reprs_hide_the_secret_key_and_derived_values() -> None:
    signer = QSigner(SECRET_ID, "TOP-SECRET-KEY-VALUE", clock=frozen())
    text = repr(signer)
    assert "TOP-SECRET-KEY-VALUE" not in text
    assert SECRET_ID in text
    assert "<hidden>" in text
    assert not hasattr(signer, "__dict__")  # nothing else (vars(), pickling) exposes it by accident
    parts = compute_qsign(**EX1)  # type: ignore[arg-type]
    assert parts.sign_key not in repr(parts)
    assert parts.signature not in repr(parts)
    assert "SECRET" not in str(vars(qsign))


# --- verify_qsign ---------------------------------------------------------------------------------


def secret_for(secret_id: str) -> Optional[str]:
    return SECRET_KEY if secret_id == SECRET_ID else None


def ex3(
    authorization: Optional[str],
    *,
    now: float = T0 + 60,
    headers: Optional[Dict[str, str]] = None,
    params: Optional[List[Tuple[str, str]]] = None,
    method: str = "PUT",
    path: str = EX3_PATH,
    max_skew: int = 900,
) -> Optional[Tuple[str, str]]:
    result = verify_qsign(
        authorization,
        method=method,
        path=path,
        params=[] if params is None else params,
        headers=EX3_HEADERS if headers is None else headers,
        secret_for=secret_for,
        now=now,
        max_skew=max_skew,
    )
    if result is not None:
        assert SECRET_KEY not in result[1]
        assert "50f48d8699dfdd7808c833782d235c0a7c5e1999" not in result[1]
    return result


EX3_AUTH = QSigner(SECRET_ID, SECRET_KEY, clock=lambda: T0).sign("PUT", EX3_PATH, [], EX3_HEADERS)


def expect(result: Optional[Tuple[str, str]], code: str, *words: str) -> None:
    assert result is not None
    assert result[0] == code
    for word in words:
        assert word in result[1]


def test_verify_accepts_the_example_and_unsigned_extras() -> None:
    assert ex3(EX3_AUTH) is None
    extra = {
        **{k.upper(): v for k, v in EX3_HEADERS.items()},
        "Content-Range": "bytes 0-1/2",
        "User-Agent": "x",
    }
    assert ex3(EX3_AUTH, headers=extra) is None
    assert ex3(EX3_AUTH, params=[("unsigned", "1")]) is None


def test_verify_accepts_the_documented_example2_request() -> None:
    auth = QSigner(SECRET_ID, SECRET_KEY, clock=frozen()).sign(
        "GET", "/1250000000/vaults", EX2_PARAMS, {"Host": HOST}
    )
    result = verify_qsign(
        auth,
        method="GET",
        path="/1250000000/vaults",
        params=list(reversed(EX2_PARAMS)),
        headers={"host": HOST},
        secret_for=secret_for,
        now=T0,
    )
    assert result is None


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "   ",
        "garbage",
        EX3_AUTH.replace("q-sign-algorithm=sha1", "q-sign-algorithm=sha256"),
        EX3_AUTH.replace("&q-key-time=", "&q-kee-time="),
        EX3_AUTH + "&q-ak=again",
        EX3_AUTH.replace("q-sign-time=1480932292;", "q-sign-time=148093229;"),
        EX3_AUTH.replace("q-sign-time=1480932292;1480933492", "q-sign-time=1480933492;1480932292"),
        EX3_AUTH[:-1],
    ],
)
def test_verify_missing_or_garbled(authorization: Optional[str]) -> None:
    expect(ex3(authorization), "MissingAuthenticationTokenException")


def test_verify_unknown_secret_id() -> None:
    expect(ex3(EX3_AUTH.replace("q-ak=AKIDEXAMPLE", "q-ak=SOMEONE")), "UnrecognizedClientException")


@pytest.mark.parametrize(
    "change",
    [
        {"method": "POST"},
        {"path": EX3_PATH + "x"},
        {"headers": {**EX3_HEADERS, "x-cas-sha256-tree-hash": "c" * 64}},
    ],
)
def test_verify_detects_tampering(change: Dict[str, object]) -> None:
    expect(ex3(EX3_AUTH, **change), "InvalidSignatureException", "does not match")  # type: ignore[arg-type]


def test_verify_listed_header_or_param_absent() -> None:
    no_tree_hash = {k: v for k, v in EX3_HEADERS.items() if k != "x-cas-sha256-tree-hash"}
    expect(
        ex3(EX3_AUTH, headers=no_tree_hash), "InvalidSignatureException", "x-cas-sha256-tree-hash", "absent"
    )
    auth = QSigner(SECRET_ID, SECRET_KEY, clock=frozen()).sign("PUT", EX3_PATH, [("limit", "2")], EX3_HEADERS)
    assert ex3(auth, params=[("Limit", "2")]) is None
    expect(ex3(auth, params=[]), "InvalidSignatureException", "limit", "absent")
    expect(ex3(auth, params=[("limit", "3")]), "InvalidSignatureException", "does not match")


def test_verify_time_window() -> None:
    assert ex3(EX3_AUTH, now=T0 + 1200) is None
    expect(ex3(EX3_AUTH, now=T0 + 1201), "InvalidSignatureException", "expired")
    assert ex3(EX3_AUTH, now=T0 - 900) is None
    expect(ex3(EX3_AUTH, now=T0 - 901), "InvalidSignatureException", "future")
    expect(ex3(EX3_AUTH, now=T0 - 100, max_skew=60), "InvalidSignatureException", "future")


def test_verify_sign_time_must_lie_within_key_time() -> None:
    auth = EX3_AUTH.replace("q-key-time=1480932292;1480933492", "q-key-time=1480932292;1480932300")
    expect(ex3(auth), "InvalidSignatureException", "q-key-time")


def test_verify_accepts_a_wider_key_time() -> None:
    parts = compute_qsign(
        secret_id=SECRET_ID,
        secret_key=SECRET_KEY,
        method="PUT",
        path=EX3_PATH,
        params=[],
        headers=EX3_HEADERS,
        sign_time="1480932292;1480933492",
        key_time="1480930000;1480940000",
    )
    assert ex3(parts.authorization) is None


def test_verify_wrong_secret_is_a_mismatch() -> None:
    kwargs = {"method": "PUT", "path": EX3_PATH, "params": [], "headers": EX3_HEADERS, "now": T0}
    result = verify_qsign(EX3_AUTH, secret_for=lambda _: "another-secret", **kwargs)  # type: ignore[arg-type]
    expect(result, "InvalidSignatureException", "does not match")


_TEXT = st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=0xD7FF), max_size=12)
_NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=10)


@settings(max_examples=60, deadline=None)
@given(
    path=_TEXT.map(lambda s: "/" + s),
    params=st.dictionaries(_NAME, _TEXT, max_size=4),
    headers=st.dictionaries(_NAME.map(lambda n: "x-cas-" + n), _TEXT, max_size=4),
)
def test_sign_then_verify_round_trip(path: str, params: Dict[str, str], headers: Dict[str, str]) -> None:
    """Whatever the path, parameters and header values, what the signer signs the verifier accepts."""
    all_headers = {"Host": HOST, **headers}
    auth = QSigner(SECRET_ID, SECRET_KEY, clock=frozen()).sign("GET", path, list(params.items()), all_headers)
    result = verify_qsign(
        auth,
        method="GET",
        path=path,
        params=list(params.items()),
        headers=all_headers,
        secret_for=secret_for,
        now=T0,
    )
    assert result is None
