"""The public namespace: what ``cassdk_like`` exports, where the service code classes live, and the
deprecated names that still resolve."""

from __future__ import annotations

import warnings

import pytest

import cassdk_like
from cassdk_like import engine
from cassdk_like.core import exceptions as core_exceptions
from cassdk_like.core.exceptions import CASError, CASServerError
from cassdk_like.emulator.errors import DOCUMENTED_STATUS
from cassdk_like.vault import errors as vault_errors

TOP_LEVEL_ERRORS = {
    "CASError",
    "CASClientError",
    "CASServerError",
    "UploadArchiveError",
    "DownloadArchiveError",
    "HashDoesNotMatchError",
    "InvalidArgumentError",
    "LocalFileError",
    "TransportError",
    "TransferCancelledError",
    "JobFailedError",
    "JobNotReadyError",
    "JobWaitTimeoutError",
    "MissingCredentialsError",
    "MultipartUploadError",
}


def test_the_top_level_exports_exactly_the_listed_errors() -> None:
    exported = {
        name
        for name in cassdk_like.__all__
        if isinstance(getattr(cassdk_like, name), type) and issubclass(getattr(cassdk_like, name), CASError)
    }
    assert exported == TOP_LEVEL_ERRORS
    for name in TOP_LEVEL_ERRORS:
        home = engine if name == "MultipartUploadError" else core_exceptions
        assert getattr(cassdk_like, name) is getattr(home, name)


def test_a_star_import_brings_no_service_code_classes() -> None:
    namespace: dict = {}  # type: ignore[type-arg]
    exec("from cassdk_like import *", namespace)
    assert "ResourceNotFoundException" not in namespace
    assert "NoSuchKey" not in namespace
    assert "ConnectionFailed" not in namespace
    assert "CASClient" in namespace
    assert {"Bucket", "BucketAPI", "BucketClient", "S3Client", "COSClient"} <= set(namespace)
    assert "TransportError" in namespace
    assert {"TransferManager", "SendInterface"} <= set(namespace)


def test_the_transfer_manager_comes_from_the_transfer_package() -> None:
    from cassdk_like import transfer

    assert cassdk_like.TransferManager is transfer.TransferManager
    assert cassdk_like.SendInterface is transfer.SendInterface
    assert issubclass(transfer.TransferError, core_exceptions.CASClientError)
    assert issubclass(transfer.LaneConfigError, core_exceptions.InvalidArgumentError)


def test_code_classes_come_from_the_vault_package() -> None:
    from cassdk_like.vault import ResourceNotFoundException, SlowDown, ThrottlingException

    assert ResourceNotFoundException is vault_errors.ResourceNotFoundException
    assert issubclass(ThrottlingException, CASServerError)
    assert ThrottlingException.retryable
    assert SlowDown.retryable
    assert not hasattr(core_exceptions, "ResourceNotFoundException")


@pytest.mark.parametrize(
    ("name", "home"),
    [
        ("ResourceNotFoundException", vault_errors),
        ("RETRYABLE_CODES", vault_errors),
        ("ConnectionFailed", core_exceptions),
        ("BadResponseError", core_exceptions),
    ],
)
def test_names_that_left_the_top_level_still_resolve_with_a_warning(name: str, home: object) -> None:
    with pytest.warns(DeprecationWarning, match=home.__name__):  # type: ignore[attr-defined]
        value = getattr(cassdk_like, name)
    assert value is getattr(home, name)


def test_unknown_names_are_still_attribute_errors() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(AttributeError):
            cassdk_like.NoSuchThing  # noqa: B018


def test_deprecated_exception_aliases_are_the_same_classes() -> None:
    assert core_exceptions.ConnectionFailed is core_exceptions.ConnectionFailedError
    assert core_exceptions.TimedOut is core_exceptions.TimedOutError
    assert core_exceptions.ConnectionFailedError.__name__ == "ConnectionFailedError"
    with pytest.raises(core_exceptions.ConnectionFailed):
        raise core_exceptions.ConnectionFailedError("reset")


def test_the_emulators_status_list_agrees_with_the_vault_table() -> None:
    """The emulator keeps its own list (it may import only core); both follow docs/vault-protocol.md §4.2."""
    table = vault_errors.VAULT_ERRORS.codes()
    assert set(DOCUMENTED_STATUS) == set(table)
    for code, klass in table.items():
        assert DOCUMENTED_STATUS[code] == klass.default_status, code
