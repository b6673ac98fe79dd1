"""``Bucket.create_par`` reaches ``cassdk_like.par.create_par`` through the bucket package's factory
slot (docs/par.md §1): what is registered, what is passed through, and the typed error when the slot
is empty. Nothing is sent: the client points at a closed port."""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Tuple

import pytest

import cassdk_like
from cassdk_like.bucket import Bucket, PARUnavailableError, register_par_factory
from cassdk_like.core.exceptions import CASClientError
from cassdk_like.par import PAR, PARKeyPair, PARPermissionsError, create_par
from cassdk_like.par.par import open_grant

NOW = 1_700_000_000


@pytest.fixture
def restore_factory() -> Iterator[None]:
    """Whatever a test puts in the slot, the real factory is back afterwards."""
    yield
    register_par_factory(create_par)


def test_importing_the_package_registers_create_par(restore_factory: None) -> None:
    assert cassdk_like.par.create_par is create_par
    previous = register_par_factory(None)
    assert previous is create_par


def test_the_method_makes_the_same_par_as_the_function(bucket: Bucket) -> None:
    pair = PARKeyPair.generate()
    par = bucket.create_par("dir/a.bin", readable=True, duration=900, encrypt_key=pair, clock=lambda: NOW)
    assert isinstance(par, PAR)
    assert (par.kind, par.key(), par.bucket, par.service) == ("object", "dir/a.bin", "bkt", "s3")
    assert par.is_readable
    assert not par.is_writeable
    same = create_par(bucket, "dir/a.bin", readable=True, duration=900, encrypt_key=pair, clock=lambda: NOW)
    assert open_grant(par, pair, "test").get == open_grant(same, pair, "test").get


def test_the_method_passes_every_argument_through(bucket: Bucket, restore_factory: None) -> None:
    calls: List[Tuple[Tuple[Any, ...], Dict[str, Any]]] = []

    def factory(*args: Any, **kwargs: Any) -> str:
        calls.append((args, kwargs))
        return "made"

    register_par_factory(factory)
    answer = bucket.create_par(
        writeable=True, duration=60, encrypt_key="pem", key_prefix="in/", registry="http://r", use_hpke=False
    )
    assert answer == "made"
    ((args, kwargs),) = calls
    assert args == (bucket, None)
    assert kwargs == {
        "readable": False,
        "writeable": True,
        "expires": None,
        "duration": 60,
        "encrypt_key": "pem",
        "key_prefix": "in/",
        "content_length_range": None,
        "registry": "http://r",
        "use_hpke": False,
    }


def test_an_empty_slot_is_a_typed_error_naming_the_bucket(bucket: Bucket, restore_factory: None) -> None:
    register_par_factory(None)
    with pytest.raises(PARUnavailableError) as caught:
        bucket.create_par("k", readable=True, duration=60, encrypt_key=PARKeyPair.generate())
    assert isinstance(caught.value, CASClientError)
    assert caught.value.operation == "create_par"
    assert "bkt" in str(caught.value)
    assert "cassdk_like.par" in str(caught.value)


def test_the_slot_refuses_what_is_not_callable(restore_factory: None) -> None:
    with pytest.raises(TypeError, match="callable"):
        register_par_factory("create_par")  # type: ignore[arg-type]
    assert register_par_factory(create_par) is create_par


def test_the_function_s_own_checks_still_apply_through_the_method(bucket: Bucket) -> None:
    with pytest.raises(PARPermissionsError, match="whole bucket"):
        bucket.create_par(readable=True, duration=60, encrypt_key=PARKeyPair.generate())
