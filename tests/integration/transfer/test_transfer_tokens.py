"""Shared tokens over real HTTP against the emulator's S3 and COS services (docs/transfer.md §8).

The sender sends a folder to a bucket and makes a token; the holder redeems it with the token
string (and password) only, no credentials. With the emulator's grant registry the service
enforces deletion, expiry and the download limit (403); without one the manager says what it
cannot enforce.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Tuple
from urllib.parse import parse_qsl, urlsplit

import attrs
import pytest

from cassdk_like import CasAPI, CASClient
from cassdk_like.bucket import Bucket
from cassdk_like.core.exceptions import HashDoesNotMatchError
from cassdk_like.emulator import Emulator
from cassdk_like.transfer import (
    InvalidSharedTokenError,
    InvalidTransferArgumentError,
    SendInterface,
    SharedTokenNotEnforcedWarning,
    SharedTokenPasswordError,
    SharedTokenRefusedError,
    SharedTokenUnavailableError,
    TransferManager,
    redeem_shared_token,
)
from cassdk_like.transfer.tokens import SharedTokens, _Token
from tests.helpers.transfer_world import COS_REGION, address_of, make_bucket, make_tree, profiles, tree_files

World = Tuple[SendInterface, Dict[str, Any], Path]


def registry_of(emu: Emulator, dialect: str) -> str:
    return f"{emu.endpoints[dialect]}/_emulator/{dialect}/par-grants"


def connect_of(emu: Emulator, dialect: str) -> Optional[str]:
    """COS URLs name the bucket's host: the holder's connections go to the emulator's COS port."""
    return None if dialect == "s3" else emu.endpoints["cos"]


@pytest.fixture(params=["s3", "cos"])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _sent(emu: Emulator, tmp_path: Path, dialect: str, *, registry: bool) -> Iterator[World]:
    source = make_tree(tmp_path / "src", files=5, size=3000)
    (source / "empty").mkdir()
    settings = profiles(emu)
    if registry:
        settings[dialect] = attrs.evolve(settings[dialect], grant_registry=registry_of(emu, dialect))
    bucket = make_bucket(emu, dialect)
    with TransferManager(tmp_path / "state", settings=settings, max_workers=2) as manager:
        send = SendInterface(manager)
        dest = send.createDestination(address_of(bucket, dialect, "share"), profile=dialect)
        manifest = send.createManifest(mappings={"/tree": str(source)})
        send.waitForManifest(manifest)
        assert send.waitForTransfer(send.createTransfer(dest, manifest))["status"] == "complete"
        yield send, {"manifest": manifest, "source": source, "connect": connect_of(emu, dialect)}, tmp_path


@pytest.fixture
def world(emu: Emulator, tmp_path: Path, dialect: str) -> Iterator[World]:
    yield from _sent(emu, tmp_path, dialect, registry=True)


def test_a_redeemed_token_gives_the_files_byte_identical(world: World) -> None:
    send, w, tmp_path = world
    made = send.createSharedToken(w["manifest"], description="for the lab")
    assert made["token"].startswith("cst1-")
    assert len(made["token"]) < 1200  # a URL and a secret, whatever the file count
    assert made["enforced"] == {"timeLimit": True, "downloadLimit": True, "revocation": True}
    assert (made["fileCount"], made["passwordRequired"]) == (5, False)
    redeemed = redeem_shared_token(made["token"], tmp_path / "got", connect_url=w["connect"])
    assert tree_files(tmp_path / "got" / "tree") == tree_files(w["source"])
    assert (tmp_path / "got" / "tree" / "empty").is_dir()
    assert redeemed.total_size == made["totalSize"]
    assert not list((tmp_path / "got").rglob(".*cassdk-token"))  # no partial file left behind
    listed = send.getSharedTokens()
    assert [t["tokenId"] for t in listed] == [made["tokenId"]]
    assert listed[0]["token"] is None  # the string is never stored
    assert listed[0]["downloadsStarted"] == 1
    assert send.getSharedToken(made["token"])["description"] == "for the lab"


def test_a_password_is_needed_and_a_wrong_one_is_refused(world: World) -> None:
    send, w, tmp_path = world
    made = send.createSharedToken(w["manifest"], password="open sesame", downloadLimit=1)
    with pytest.raises(SharedTokenPasswordError, match="needs a password"):
        redeem_shared_token(made["token"], tmp_path / "none", connect_url=w["connect"])
    with pytest.raises(SharedTokenPasswordError, match="does not open") as wrong:
        redeem_shared_token(made["token"], tmp_path / "wrong", "open sesam", connect_url=w["connect"])
    assert "sesam" not in str(wrong.value)
    assert not (tmp_path / "wrong").exists()
    # a wrong password started no redemption: the one allowed download is still there
    redeem_shared_token(made["token"], tmp_path / "right", "open sesame", connect_url=w["connect"])
    assert tree_files(tmp_path / "right" / "tree") == tree_files(w["source"])


def test_the_download_limit_is_enforced_by_the_service(world: World) -> None:
    send, w, tmp_path = world
    made = send.createSharedToken(w["manifest"], downloadLimit=1)
    redeem_shared_token(made["token"], tmp_path / "first", connect_url=w["connect"])
    with pytest.raises(SharedTokenRefusedError) as again:
        redeem_shared_token(made["token"], tmp_path / "second", connect_url=w["connect"])
    assert again.value.status == 403
    assert not (tmp_path / "second" / "tree").exists()
    assert send.getSharedToken(made)["downloadsStarted"] == 1


def test_cut_and_retried_bodies_do_not_spend_a_one_download_budget(
    world: World, emu: Emulator, dialect: str
) -> None:
    """Three file bodies are cut after 1000 bytes; the engine resumes each from the byte received,
    and the budget (charged what was sent) still lets the one allowed redemption finish."""
    send, w, tmp_path = world
    made = send.createSharedToken(w["manifest"], downloadLimit=1)
    cuts = emu.stats.count("GetObject", service=dialect)
    emu.faults.add_json(
        {"kind": "cut", "service": dialect, "operation": "GetObject", "path": "*/tree/*", "after_bytes": 1000,
         "count": 3}
    )  # fmt: skip
    redeem_shared_token(made["token"], tmp_path / "flaky", connect_url=w["connect"])
    assert tree_files(tmp_path / "flaky" / "tree") == tree_files(w["source"])
    assert emu.stats.count("GetObject", service=dialect) - cuts >= 5 * 2 + 3  # probes, bodies, resumes
    with pytest.raises(SharedTokenRefusedError) as again:
        redeem_shared_token(made["token"], tmp_path / "flaky", connect_url=w["connect"])
    assert again.value.status == 403


def test_saved_file_urls_cannot_fetch_more_than_the_limit(world: World, emu: Emulator) -> None:
    """Redeeming again into the first folder counts as the same redemption, but its files' byte
    budget is spent: the service refuses a second whole copy."""
    send, w, tmp_path = world
    made = send.createSharedToken(w["manifest"], downloadLimit=1)
    redeem_shared_token(made["token"], tmp_path / "once", connect_url=w["connect"])
    with pytest.raises(SharedTokenRefusedError) as spent:
        redeem_shared_token(made["token"], tmp_path / "once", connect_url=w["connect"])
    assert spent.value.status == 403
    placed = {path: data for path, data in tree_files(tmp_path / "once" / "tree").items() if "/." not in path}
    assert placed == tree_files(w["source"])  # the first copy stays; only hidden partial files beside it


def test_a_deleted_token_is_refused(world: World) -> None:
    send, w, tmp_path = world
    made = send.createSharedToken(w["manifest"])
    send.updateObjectUserData(made, "who", "lab")
    send.updateObjectUserData(made["token"], "what", "scans")
    assert send.getSharedToken(made["tokenId"])["userData"] == {"who": "lab", "what": "scans"}
    send.deleteObjectUserData(made, "what")
    assert send.getSharedToken(made)["userData"] == {"who": "lab"}
    send.deleteSharedToken(made["token"])
    with pytest.raises(SharedTokenRefusedError) as refused:
        redeem_shared_token(made["token"], tmp_path / "late", connect_url=w["connect"])
    assert refused.value.status in (403, 404)
    assert send.getSharedTokens() == []


def test_update_extends_and_re_mints(world: World) -> None:
    send, w, tmp_path = world
    made = send.createSharedToken(w["manifest"], timeLimitSeconds=60)
    longer = send.updateSharedToken(made["token"], timeLimitSeconds=3600, description="longer")
    assert longer["expires"] >= made["expires"] + 3000
    assert (longer["timeLimitSeconds"], longer["description"]) == (3600, "longer")
    redeem_shared_token(made["token"], tmp_path / "after", connect_url=w["connect"])
    assert tree_files(tmp_path / "after" / "tree") == tree_files(w["source"])


def test_an_extended_token_works_past_its_first_limit(tmp_path: Path, dialect: str) -> None:
    """Updated from 120 s to an hour, the token still works 10 minutes later (emulator clock)."""
    now = [time.time()]
    with Emulator(clock=lambda: now[0], job_delay_scale=0, region=COS_REGION) as emu:
        for send, w, root in _sent(emu, tmp_path, dialect, registry=True):
            made = send.createSharedToken(w["manifest"], timeLimitSeconds=120)
            send.updateSharedToken(made["tokenId"], timeLimitSeconds=3600)
            now[0] += 600
            redeem_shared_token(made["token"], root / "later", connect_url=w["connect"])
            assert tree_files(root / "later" / "tree") == tree_files(w["source"])
            later = SharedTokens(send.manager, clock=lambda: time.time() + 3600)  # the sender, an hour on
            with pytest.raises(InvalidTransferArgumentError, match=r"at most 7 days .* from its creation"):
                later.update(made, time_limit_seconds=7 * 86400 - 60)  # would end past the horizon
            assert send.getSharedToken(made)["timeLimitSeconds"] == 3600  # unchanged


@pytest.mark.parametrize("registry", [True, False], ids=["registry", "urls-only"])
def test_expiry_is_enforced_by_the_service(tmp_path: Path, dialect: str, registry: bool) -> None:
    """The emulator's clock moves past the token's time limit: with a registry the document is
    refused, without one the file URLs' own expiry refuses the files."""
    now = [time.time()]
    with Emulator(clock=lambda: now[0], job_delay_scale=0, region=COS_REGION) as emu:
        for send, w, root in _sent(emu, tmp_path, dialect, registry=registry):
            made = send.createSharedToken(w["manifest"], timeLimitSeconds=120)
            now[0] += 600
            with pytest.raises(SharedTokenRefusedError) as expired:
                redeem_shared_token(made["token"], root / "late", connect_url=w["connect"])
            assert expired.value.status == 403
            placed = [p for p in (root / "late").rglob("*") if p.is_file() and not p.name.startswith(".")]
            assert placed == []


def test_without_a_registry_the_limits_that_cannot_hold_are_reported(
    emu: Emulator, tmp_path: Path, dialect: str
) -> None:
    for send, w, root in _sent(emu, tmp_path, dialect, registry=False):
        with pytest.warns(SharedTokenNotEnforcedWarning, match="cannot be enforced"):
            made = send.createSharedToken(w["manifest"], downloadLimit=1)
        assert made["enforced"] == {"timeLimit": True, "downloadLimit": False, "revocation": False}
        redeem_shared_token(made["token"], root / "one", connect_url=w["connect"])
        redeem_shared_token(made["token"], root / "two", connect_url=w["connect"])  # honest: not enforced
        assert tree_files(root / "two" / "tree") == tree_files(w["source"])
        with pytest.warns(SharedTokenNotEnforcedWarning, match="stay valid"):
            send.deleteSharedToken(made)
        with pytest.raises(SharedTokenRefusedError) as gone:  # but the document is gone
            redeem_shared_token(made["token"], root / "three", connect_url=w["connect"])
        assert gone.value.status == 404


def test_a_vault_delivery_cannot_be_shared(emu: Emulator, tmp_path: Path) -> None:
    source = make_tree(tmp_path / "src", files=2, size=1000)
    name = f"tok-{uuid.uuid4().hex[:8]}"
    CasAPI(CASClient(emu.endpoint, emu.appid, emu.secret_id, emu.secret_key)).create_vault(name)
    with TransferManager(tmp_path / "state", settings=profiles(emu)) as manager:
        send = SendInterface(manager)
        manifest = send.createManifest(mappings={"/t": str(source)})
        dest = send.createDestination(f"cas://{name}", profile="cas")
        assert send.waitForTransfer(send.createTransfer(dest, manifest))["status"] == "complete"
        with pytest.raises(SharedTokenUnavailableError, match="retrieval jobs"):
            send.createSharedToken(manifest)
        assert send.getSharedTokens() == []


def test_the_token_string_does_not_grow_with_the_file_count(
    world: World, emu: Emulator, dialect: str
) -> None:
    send, w, tmp_path = world
    many = send.createSharedToken(w["manifest"])
    single = tmp_path / "single"
    single.mkdir()
    (single / "one.bin").write_bytes(b"1")
    dest = send.getSharedToken(many)["destinationId"]
    manifest = send.createManifest(mappings={"/one": str(single)})
    send.waitForManifest(manifest)
    assert send.waitForTransfer(send.createTransfer(dest, manifest))["status"] == "complete"
    one = send.createSharedToken(manifest)
    assert (many["fileCount"], one["fileCount"]) == (5, 1)
    assert abs(len(many["token"]) - len(one["token"])) <= 8  # compression noise only


def test_a_changed_object_or_document_is_refused(world: World, emu: Emulator, dialect: str) -> None:
    """The holder checks each file against the document's SHA-256, and the document's seal."""
    send, w, tmp_path = world
    made = send.createSharedToken(w["manifest"])
    bucket = _bucket_of(send, made, emu, dialect)
    first = sorted(k.key for k in bucket.objects(prefix="share/tree/"))[0]
    bucket.upload_file(str(_write(tmp_path / "other", b"other bytes")), first)
    with pytest.raises(HashDoesNotMatchError, match="not the one the token document lists"):
        redeem_shared_token(made["token"], tmp_path / "got", connect_url=w["connect"])
    target = tmp_path / "got" / first[len("share/") :]
    assert not target.exists()  # nothing half-checked at the path
    document_key = f"share/.cassdk-shared-tokens/{made['tokenId']}"
    document = json.loads(bucket.get_bytes(document_key))
    document["expires_at"] += 3600  # try to extend the token
    bucket.put(document_key, json.dumps(document).encode())
    with pytest.raises(InvalidSharedTokenError, match="changed"):
        redeem_shared_token(made["token"], tmp_path / "again", connect_url=w["connect"])


def test_a_second_manager_on_the_state_folder_sees_and_deletes_the_token(
    world: World, emu: Emulator, dialect: str
) -> None:
    send, w, tmp_path = world
    made = send.createSharedToken(w["manifest"], downloadLimit=3, description="kept")
    settings = profiles(emu)
    settings[dialect] = attrs.evolve(settings[dialect], grant_registry=registry_of(emu, dialect))
    with TransferManager(tmp_path / "state", settings=settings, start=False) as other:
        again = SendInterface(other)
        seen = again.getSharedToken(made["tokenId"])
        assert (seen["description"], seen["downloadLimit"], seen["token"]) == ("kept", 3, None)
        again.deleteSharedToken(made["tokenId"])
    with pytest.raises(SharedTokenRefusedError) as refused:
        redeem_shared_token(made["token"], tmp_path / "late", connect_url=w["connect"])
    assert refused.value.status in (403, 404)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _bucket_of(send: SendInterface, token: Dict[str, Any], emu: Emulator, dialect: str) -> Bucket:
    address = send.getDestination(token["destinationId"])["destinationAddress"]
    name = address.split("://", 1)[1].split("/", 1)[0]
    made = make_bucket(emu, dialect)  # a client of the right dialect; its own bucket is left empty
    return Bucket(made.api, name)


def test_no_secret_reaches_the_logs_or_the_reprs(
    world: World, caplog: pytest.LogCaptureFixture, dialect: str
) -> None:
    send, w, tmp_path = world
    caplog.set_level(logging.DEBUG)
    made = send.createSharedToken(w["manifest"], password="a secret password")
    redeemed = redeem_shared_token(
        made["token"], tmp_path / "got", "a secret password", connect_url=w["connect"]
    )
    parsed = _Token.parse(made["token"], "test")
    signature = dict(parse_qsl(urlsplit(parsed.url).query))
    secrets_seen = [made["token"], "a secret password", base64.urlsafe_b64encode(parsed.secret).decode()[:20]]
    secrets_seen += [v for k, v in signature.items() if k.lower() in ("x-amz-signature", "q-signature")]
    # the SDK's own log lines (urllib3's and the emulator's access log are the wire's, not ours)
    ours = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("cassdk_like.") and not r.name.startswith("cassdk_like.emulator")
    ]
    text = "\n".join(ours) + repr(send.manager.get_shared_token(made["token"])) + repr(redeemed)
    assert "GET /" in text  # the requests were logged
    assert len(secrets_seen) == 4
    for secret in secrets_seen:
        assert secret not in text
