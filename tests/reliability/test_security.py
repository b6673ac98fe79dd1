"""Secret hygiene, TLS verification, signature enforcement and download confinement.

* Every log record of a full flow in both dialects (root logger at DEBUG, formatted whole: message,
  args, exception text and the record's own fields), and the repr/str of every public object and of
  every exception raised, are free of the secret key, every signature sent and the session token.
* TLS certificates are verified unless ``verify=False`` is passed explicitly, which logs a WARNING;
  a self-signed certificate fails at once with a non-retryable ``ConnectionFailedError``.
* The emulator refuses unsigned, wrongly keyed and expired requests. The CAS dialect's cases and
  Glacier's wrong key/region are covered in tests/integration/emulator (test_emu_auth.py,
  test_emu_glacier.py); the Glacier ones missing there are here.
* Downloads write only the destination and, next to it, its partial file and journal -- whatever
  file names or ids a server sends.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest
import requests

import cassdk_like.core.http.transport as transport_module
from cassdk_like import (
    Archive,
    CasAPI,
    CASClient,
    CASError,
    CASResponse,
    Credentials,
    HashDoesNotMatchError,
    InvalidArgumentError,
    Job,
    MultipartUpload,
    RetryPolicy,
    TransferConfig,
    Vault,
)
from cassdk_like.bucket import Bucket, BucketAPI, BucketClient, COSClient, S3Client
from cassdk_like.core.auth import QSigner, SigV4Signer
from cassdk_like.core.exceptions import ConnectionFailedError
from cassdk_like.emulator import Emulator
from cassdk_like.vault.errors import InvalidSignatureException, ServiceUnavailableException
from tests.helpers.presigned import fetch_presigned
from tests.integration.emulator.emu_helpers import Raw, error_of
from tests.reliability.badinput_servers import Reply, ScriptedServer, Seen, job_output, self_signed_tls
from tests.reliability.badinput_world import MiB, finished_job, local_vault, pattern

SESSION_TOKEN = "FQoGZXIvYXdzEXAMPLEsessiontokenTHATmustNEVERbeLOGGED"
_SIGNATURE = re.compile(r"(?:q-signature=|Signature=)([0-9a-fA-F]{20,})")
QUICK = TransferConfig(retry_policy=RetryPolicy(total_attempts=2, backoff_base=0.0), hash_attempts=2)


# -- helpers -----------------------------------------------------------------------------------------


def _record_signatures(api: CasAPI, into: List[str]) -> None:
    """Keep every signature the client puts on the wire (the transport's sign step is a test seam)."""
    transport = api.client.transport
    sign = transport._sign
    assert sign is not None

    def recording(request: Any, headers: Dict[str, str]) -> None:
        sign(request, headers)
        found = _SIGNATURE.search(headers.get("Authorization", ""))
        assert found is not None, "every request is signed"
        into.append(found.group(1))

    transport._sign = recording


def _record_text(record: logging.LogRecord) -> str:
    """Everything a handler could print about a record: the formatted line (with exception text)
    and every field, args and exc_info included."""
    formatter = logging.Formatter("%(asctime)s %(name)s %(levelname)s %(pathname)s:%(lineno)d %(message)s")
    text = formatter.format(record)
    return f"{text}\n{record.msg!r}\n{record.args!r}\n{vars(record)!r}"


def _exception_text(exc: BaseException) -> str:
    chain = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return f"{exc!s}\n{exc!r}\n{exc.args!r}\n{chain}"


def _assert_clean(texts: List[str], secrets: List[str]) -> None:
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"secret {secret[:6]}... leaked in: {text[:500]}"


def _tree(root: Path) -> Dict[str, str]:
    """Every file and folder under ``root`` with a digest of its bytes."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            found[str((Path(folder) / name).relative_to(root))] = "dir"
        for name in files:
            path = Path(folder) / name
            found[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


# -- logging and repr/str during a full flow ---------------------------------------------------------


def _full_flow(api: CasAPI, emu: Emulator, folder: Path, name: str) -> Tuple[List[object], List[CASError]]:
    """Create, upload (single and multipart, with one injected retry), retrieve, wait, download,
    stream, inventory, delete. Returns the objects made and the errors met on the way."""
    objects: List[object] = []
    errors: List[CASError] = []
    small, big = folder / "small.bin", folder / "big.bin"
    small.write_bytes(pattern(100_000, 1))
    big.write_bytes(pattern(2 * MiB + 3, 2))
    vault = Vault.create(api, name)
    small_id = vault.upload_archive(small, desc="small archive")
    emu.faults.fail_next(1, status=503, retry_after=0, operation="UploadMultipartPart")
    upload = vault.initiate_multipart_upload(big, desc="big archive", part_size=MiB)
    big_id = upload.upload(config=QUICK)
    job = vault.retrieve_archive(big_id, desc="get it back")
    job.wait(timeout=10, poll_interval=0.01)
    result = job.download_to_file(folder / "out.bin", config=QUICK)
    assert (folder / "out.bin").read_bytes() == big.read_bytes()
    stream = io.BytesIO()
    job.download_by_range((0, MiB - 1), file_obj=stream, config=QUICK)
    assert stream.getvalue() == big.read_bytes()[:MiB]
    inventory_job = vault.initiate_retrieve_inventory()
    inventory_job.wait(timeout=10, poll_interval=0.01)
    try:
        job.download_to_file(folder / "no-such-folder" / "x.bin")
    except CASError as exc:
        errors.append(exc)
    described = api.describe_vault(vault.name)
    objects += [vault, Archive(vault, small_id), job, upload, result, described, described.response]
    objects += [inventory_job, inventory_job.inventory(), vault.list_jobs()]
    for archive_id in (small_id, big_id):
        vault.delete_archive(archive_id)
    vault.delete()
    return objects, errors


def _forced_failures(emu: Emulator, dialect: str) -> List[CASError]:
    """A wrong key, a server that keeps failing, and a closed port: their errors, with causes."""
    errors: List[CASError] = []
    wrong = CASClient(emu.endpoint, emu.appid, emu.secret_id, "wrong-" + emu.secret_key, dialect=dialect)
    flaky = CASClient(
        emu.endpoint, emu.appid, emu.secret_id, emu.secret_key, dialect=dialect,
        retry_policy=RetryPolicy(total_attempts=2, backoff_base=0.0),
    )  # fmt: skip
    closed = CASClient(
        "http://127.0.0.1:9", emu.appid, emu.secret_id, emu.secret_key, dialect=dialect,
        retry_policy=RetryPolicy.never(),
    )  # fmt: skip
    for client, expected in (
        (wrong, InvalidSignatureException),
        (flaky, ServiceUnavailableException),
        (closed, ConnectionFailedError),
    ):
        if client is flaky:
            emu.faults.fail_next(None, status=503, operation="ListVaults")
        with client, pytest.raises(expected) as caught:
            Vault.list_all_vaults(CasAPI(client))
        errors.append(caught.value)
        emu.faults.reset()
    return errors


@pytest.mark.parametrize("dialect", ["cas", "glacier"])
def test_no_secret_in_logs_reprs_or_errors(
    dialect: str,
    emulator: Emulator,
    api: Callable[..., CasAPI],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="cassdk_like")
    token = SESSION_TOKEN if dialect == "glacier" else None
    cas_api = api(dialect, session_token=token)
    client = cas_api.client
    signatures: List[str] = []
    _record_signatures(cas_api, signatures)
    objects, errors = _full_flow(cas_api, emulator, tmp_path, f"sec-{dialect}")
    errors += _forced_failures(emulator, dialect)

    secrets = [emulator.secret_key, *signatures] + ([SESSION_TOKEN] if token else [])
    assert len(signatures) >= 15
    records = caplog.records
    # the log is not vacuous: every attempt's headers were logged, the signature masked,
    # the key id kept for debugging, and the injected fault was retried
    headers_logged = [r.getMessage() for r in records if r.getMessage().startswith("request headers")]
    assert len(headers_logged) >= len(signatures)
    assert all("***" in line and emulator.secret_id in line for line in headers_logged)
    assert any(r.getMessage().startswith("retrying") for r in records)
    if token:
        masked = [line for line in headers_logged if "'X-Amz-Security-Token': '***'" in line]
        assert len(masked) >= len(signatures)  # every request of the flow carried it, masked
    _assert_clean([_record_text(r) for r in records], secrets)

    credentials = Credentials(emulator.secret_id, emulator.secret_key, token)
    public = [
        client, cas_api, client.transport, client.transport.redactor, credentials, RetryPolicy(),
        TransferConfig(), QSigner(emulator.secret_id, emulator.secret_key),
        SigV4Signer(emulator.secret_id, emulator.secret_key, region="us-east-1", service="glacier",
                    session_token=SESSION_TOKEN),
        emulator, *objects,
    ]  # fmt: skip
    types = {type(obj).__name__ for obj in public}
    for expected in ("CASClient", "CasAPI", "CASResponse", "Vault", "Archive", "Job", "MultipartUpload"):
        assert expected in types
    assert any(isinstance(o, (CASResponse, Job, MultipartUpload, Archive)) for o in objects)
    _assert_clean([f"{obj!r}\n{obj!s}" for obj in public], [*secrets, SESSION_TOKEN])

    assert len(errors) == 4
    _assert_clean([_exception_text(exc) for exc in errors], [*secrets, SESSION_TOKEN])
    wrong_key = errors[1]
    assert isinstance(wrong_key, InvalidSignatureException)
    assert "wrong-" + emulator.secret_key not in _exception_text(wrong_key)


_URL_SIGNATURE = re.compile(r"(?:X-Amz-Signature|q-signature)=([0-9a-fA-F]{20,})")


def _bucket_client(emu: Emulator, dialect: str) -> BucketClient:
    """A client of the emulator's S3 or COS service (COS in the emulator's default region)."""
    if dialect == "s3":
        return S3Client(emu.endpoints["s3"], emu.secret_id, emu.secret_key, region="us-east-1")
    return COSClient("ap-guangzhou", emu.appid, emu.secret_id, emu.secret_key, endpoint=emu.endpoints["cos"])


@pytest.mark.parametrize("dialect", ["s3", "cos"])
def test_presigned_requests_leave_no_signature_in_urllib3_or_emulator_logs(
    dialect: str, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger: urllib3's and the emulator's lines too
    with _bucket_client(emulator, dialect) as client:
        bucket = Bucket.create(BucketAPI(client), f"presign-logs-{dialect}")
        bucket.put("k", b"payload")
        url = str(bucket.presigned_get_url("k", expires=300))
        with requests.Session() as http:  # any urllib3 use in the process, not only the SDK's
            reply = fetch_presigned(http, "GET", url, emulator, dialect)
        assert reply.content == b"payload"
    found = _URL_SIGNATURE.search(url)
    assert found is not None
    texts = [_record_text(r) for r in caplog.records]
    # not vacuous: both loggers wrote the presigned request line, its query masked
    assert any(r.name == "urllib3.connectionpool" and "/k?***" in r.getMessage() for r in caplog.records)
    assert any(r.name == "cassdk_like.emulator" and "GET " in r.getMessage() for r in caplog.records)
    _assert_clean(texts, [found.group(1), emulator.secret_key])


def test_wrong_key_error_never_shows_the_key_or_signature(emulator: Emulator) -> None:
    """The failing request's own signature and key are not in the error, its body or its cause."""
    key = "this-is-the-wrong-secret-key"
    client = CASClient(emulator.endpoint, emulator.appid, emulator.secret_id, key)
    signatures: List[str] = []
    api = CasAPI(client)
    _record_signatures(api, signatures)
    with client, pytest.raises(InvalidSignatureException) as caught:
        api.describe_vault("anything")
    text = _exception_text(caught.value) + repr(caught.value.body)
    assert signatures
    _assert_clean([text], [key, *signatures])


# -- TLS -----------------------------------------------------------------------------------------------


def _vault_list(seen: Seen) -> Reply:
    return Reply(200, {"Content-Type": "application/json"}, b'{"Marker": null, "VaultList": []}')


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[Tuple[ScriptedServer, Path]]:
    context, cert = self_signed_tls(tmp_path)
    with ScriptedServer(_vault_list, tls=context) as server:
        yield server, cert


def _tls_client(server: ScriptedServer, **kwargs: Any) -> CASClient:
    return CASClient(server.endpoint, "1250000000", "AKIDtls", "tls-secret", **kwargs)


def test_tls_is_verified_by_default_and_a_self_signed_certificate_fails_once(
    tls_server: Tuple[ScriptedServer, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, _ = tls_server
    # environment variables that loosen requests' own checks must not loosen ours
    monkeypatch.setenv("CURL_CA_BUNDLE", "")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "")
    with _tls_client(server) as client:
        assert client.endpoint.startswith("https://")
        assert client.transport._verify is True
        with pytest.raises(ConnectionFailedError) as caught:
            CasAPI(client).list_vaults()
        assert client.transport.request_count == 1  # not retried: a bad certificate stays bad
    exc = caught.value
    assert type(exc) is ConnectionFailedError
    assert exc.retryable is False
    assert exc.attempts == 1
    assert exc.operation == "list_vaults"
    assert "CERTIFICATE_VERIFY_FAILED" in str(exc) or "certificate verify failed" in str(exc)
    assert server.count == 0  # no request got past the handshake


def test_tls_trusting_the_certificate_works(tls_server: Tuple[ScriptedServer, Path]) -> None:
    """The control: the same server is fine once its certificate is trusted (verify=<CA file>)."""
    server, cert = tls_server
    with _tls_client(server, verify=str(cert)) as client:
        assert CasAPI(client).list_vaults()["VaultList"] == []
    assert server.count == 1


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_tls_verify_false_is_explicit_and_warns(
    tls_server: Tuple[ScriptedServer, Path],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, _ = tls_server
    monkeypatch.setattr(transport_module, "_insecure_warned", False)  # the warning is once per process
    caplog.set_level(logging.DEBUG)
    with _tls_client(server, verify=False) as client:
        assert CasAPI(client).list_vaults()["VaultList"] == []
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.name == "cassdk_like.http"]
    assert len(warnings) == 1
    assert "verification is disabled" in warnings[0].getMessage()
    assert "verify=False" in warnings[0].getMessage()


# -- the emulator refuses what is not properly signed (Glacier cases missing elsewhere) -----------------


def test_glacier_unsigned_request_is_refused(emulator: Emulator) -> None:
    raw = Raw(emulator, "glacier")
    try:
        response = raw.request("GET", "/-/vaults", sign=False)
        assert error_of(response)[:2] == (400, "MissingAuthenticationTokenException")
    finally:
        raw.close()


def test_glacier_expired_signature_is_refused(emulator: Emulator) -> None:
    """Signed correctly, with the right key, but an hour ago (beyond the 900 s skew)."""
    raw = Raw(emulator, "glacier", clock=lambda: time.time() - 3600)
    try:
        response = raw.request("GET", "/-/vaults")
        status, code, _ = error_of(response)
        assert (status, code) == (403, "InvalidSignatureException")
        assert "expired" in response.json()["message"].lower()
    finally:
        raw.close()


def test_glacier_session_token_is_signed(emulator: Emulator) -> None:
    """A token added after signing (or changed in flight) breaks the signature."""
    raw = Raw(emulator, "glacier")
    raw.sigv4 = SigV4Signer(
        emulator.secret_id, emulator.secret_key, region=emulator.settings.glacier_region,
        service="glacier", session_token=SESSION_TOKEN,
    )  # fmt: skip
    try:
        assert raw.request("GET", "/-/vaults").status_code == 200
        sent = {"Host": f"127.0.0.1:{emulator.port}", "x-amz-glacier-version": "2012-06-01"}
        raw._sign("GET", "/-/vaults", [], sent, None)
        sent["X-Amz-Security-Token"] = SESSION_TOKEN + "x"
        response = raw.session.get(f"{emulator.endpoint}/-/vaults", headers=sent, timeout=10)
        assert error_of(response)[1] == "InvalidSignatureException"
    finally:
        raw.close()


def test_no_dialect_accepts_an_unsigned_sdk_style_request(emulator: Emulator) -> None:
    """The SDK's own request shape without Authorization: refused in both dialects."""
    for headers in ({}, {"x-amz-glacier-version": "2012-06-01"}):
        response = requests.get(f"{emulator.endpoint}/-/vaults", headers=headers, timeout=10)
        assert error_of(response)[1] == "MissingAuthenticationTokenException"


# -- downloads stay inside the destination folder --------------------------------------------------------


@pytest.fixture
def nest(tmp_path: Path) -> Tuple[Path, Path]:
    """(root, dest folder): root/parent/dest, with a bystander file in each level."""
    dest = tmp_path / "parent" / "dest"
    dest.mkdir(parents=True)
    for folder in (tmp_path, tmp_path / "parent", dest):
        (folder / "bystander.txt").write_text("keep me")
    return tmp_path, dest


def _fake_api(stack: List[ScriptedServer], answer: Any, dialect: str = "cas") -> CasAPI:
    server = ScriptedServer(answer).__enter__()
    stack.append(server)
    return CasAPI(CASClient(server.endpoint, "1250000000", "AKIDfake", "fake-secret", dialect=dialect))


@pytest.fixture
def fakes() -> Iterator[List[ScriptedServer]]:
    servers: List[ScriptedServer] = []
    yield servers
    for server in servers:
        server.__exit__()


_HOSTILE_HEADERS = {
    "Content-Disposition": 'attachment; filename="../../escape.bin"',
    "x-cas-archive-description": "../../../etc/passwd",
    "x-amz-archive-description": "../../../etc/passwd",
}


@pytest.mark.parametrize("dialect", ["cas", "glacier"])
def test_download_ignores_server_file_names(
    dialect: str, nest: Tuple[Path, Path], fakes: List[ScriptedServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, dest = nest
    data = pattern(2 * MiB + 11, 5)
    header = "x-cas-sha256-tree-hash" if dialect == "cas" else "x-amz-sha256-tree-hash"
    api = _fake_api(fakes, job_output(data, tree_hash_header=header, extra_headers=_HOSTILE_HEADERS), dialect)
    job = finished_job(local_vault(api), data)
    before = _tree(root)
    config = TransferConfig(piece_size=MiB)
    job.download_to_file(dest / "out.bin", config=config)
    job.download_by_range((MiB, 2 * MiB - 1), file_path=dest / "window.bin", config=config)
    monkeypatch.chdir(dest)  # a relative destination: its partial file is next to it, not elsewhere
    job.download_to_file("relative.bin", config=config)
    after = _tree(root)
    added = sorted(set(after) - set(before))
    assert added == ["parent/dest/out.bin", "parent/dest/relative.bin", "parent/dest/window.bin"]
    assert all(after[name] == before[name] for name in before)
    assert (dest / "out.bin").read_bytes() == data
    assert (dest / "window.bin").read_bytes() == data[MiB : 2 * MiB]
    assert fakes[0].count >= 5


def test_failed_download_leaves_its_partial_only_next_to_the_destination(
    nest: Tuple[Path, Path], fakes: List[ScriptedServer]
) -> None:
    root, dest = nest
    data = pattern(MiB + 1, 6)
    api = _fake_api(fakes, job_output(data, wrong_tree_hash=True, extra_headers=_HOSTILE_HEADERS))
    job = finished_job(local_vault(api), data)
    before = _tree(root)
    with pytest.raises(HashDoesNotMatchError):
        job.download_to_file(dest / "out.bin", config=QUICK)
    added = sorted(set(_tree(root)) - set(before))
    assert added == ["parent/dest/out.bin.cassdk-partial", "parent/dest/out.bin.cassdk-partial.json"]


@pytest.mark.parametrize(
    "job_id", ["..", ".", "../../escape", "..%2f..%2fescape", "a/b", "job?x=1", "job#frag", "job id"]
)
def test_path_like_job_ids_from_a_server_are_refused(
    job_id: str, nest: Tuple[Path, Path], fakes: List[ScriptedServer]
) -> None:
    """An Initiate Job answer naming a path-like job id: refused before it is used in a URL or a file."""
    root, dest = nest

    def answer(seen: Seen) -> Reply:
        return Reply(202, {"x-cas-job-id": job_id, "Location": "/1250000000/vaults/v1/jobs/x"})

    api = _fake_api(fakes, answer)
    vault = local_vault(api)
    before = _tree(root)
    with pytest.raises(InvalidArgumentError) as caught:
        vault.retrieve_archive("archive-1")
    assert fakes[0].count == 1  # the Initiate Job; the id was never sent back
    assert f"invalid job id {job_id!r}" in str(caught.value)
    job = finished_job(vault, pattern(1000), job_id=job_id)
    with pytest.raises(InvalidArgumentError):
        job.download_to_file(dest / "out.bin")
    assert fakes[0].count == 1
    assert _tree(root) == before
