"""PAR URLs beside other implementations: the signatures boto3 (``s3v4``) and cos-python-sdk-v5
compute for the same inputs and frozen clock, and read and write PARs against independent S3
servers (moto with IAM auth and with auth off, rclone ``serve s3``; docs/par.md §1)."""

from __future__ import annotations

import datetime as _dt
import os
import time
import types
import uuid
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qsl, urlsplit

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.signers
import pytest
from botocore.config import Config
from qcloud_cos import CosConfig, CosS3Client, cos_auth

from cassdk_like.bucket import Bucket, BucketAPI, COSClient, S3Client
from cassdk_like.core.http.retry import RetryPolicy
from cassdk_like.engine import TransferConfig
from cassdk_like.par import (
    PAR,
    BucketWriter,
    ObjectReader,
    ObjectWriter,
    PARKeyPair,
    PARReadError,
    PARWriteError,
    create_par,
)
from cassdk_like.par.par import open_grant
from tests.helpers.s3_peer import S3Peer
from tests.integration.s3_peers.conftest import (  # noqa: F401  (session fixtures)
    moto_s3,
    moto_s3_open,
    rclone_s3,
)

NOW = 1_700_000_000
AWS_ID, AWS_KEY = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
COS_ID, COS_KEY, APPID, REGION = "AKIDEXAMPLECOS", "cos-secret-key-for-tests", "1250000000", "ap-guangzhou"


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both reference SDKs read the clock at signing time: pin it to NOW."""
    moment = _dt.datetime.fromtimestamp(NOW, tz=_dt.timezone.utc).replace(tzinfo=None)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: moment)
    monkeypatch.setattr(botocore.signers, "get_current_datetime", lambda: moment, raising=False)
    monkeypatch.setattr(cos_auth, "time", types.SimpleNamespace(time=lambda: NOW))


def _query(url: str) -> dict:  # type: ignore[type-arg]
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def test_s3_par_urls_are_what_boto3_presigns(frozen: None) -> None:
    client = S3Client(
        "http://127.0.0.1:9000",
        AWS_ID,
        AWS_KEY,
        region="eu-west-1",
        addressing="path",
        clock=lambda: NOW,
        retry_policy=RetryPolicy.never(),
    )
    bucket = Bucket(BucketAPI(client), "bkt", region="eu-west-1")
    pair = PARKeyPair.generate()
    par = create_par(
        bucket, "dir/a.bin", readable=True, writeable=True, duration=900, encrypt_key=pair, clock=lambda: NOW
    )
    grant = open_grant(par, pair, "test", check_time=False)
    boto = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:9000",
        region_name="eu-west-1",
        aws_access_key_id=AWS_ID,
        aws_secret_access_key=AWS_KEY,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    for url, method in ((grant.get, "get_object"), (grant.put, "put_object")):
        assert url is not None
        theirs = boto.generate_presigned_url(
            method, Params={"Bucket": "bkt", "Key": "dir/a.bin"}, ExpiresIn=900
        )
        assert urlsplit(url)[:3] == urlsplit(theirs)[:3]
        # compared as booleans: a failing assert must not print a signature
        same = _query(url) == _query(theirs)
        assert same
    post = create_par(
        bucket, None, writeable=True, key_prefix="in/", duration=900, encrypt_key=pair, clock=lambda: NOW
    )
    form = open_grant(post, pair, "test", check_time=False).post
    assert form is not None
    ours = dict(form.fields)
    request = botocore.awsrequest.AWSRequest(method="POST", url=form.url)
    request.context["timestamp"] = "20231114T221320Z"
    auth = botocore.auth.SigV4Auth(botocore.credentials.Credentials(AWS_ID, AWS_KEY), "s3", "eu-west-1")
    agrees = ours["x-amz-signature"] == auth.signature(ours["policy"], request)
    assert agrees


def test_cos_par_urls_are_what_cos_sdk_presigns(frozen: None) -> None:
    client = COSClient(REGION, APPID, COS_ID, COS_KEY, clock=lambda: NOW, retry_policy=RetryPolicy.never())
    name = f"examplebucket-{APPID}"
    bucket = Bucket(BucketAPI(client), name, region=REGION)
    pair = PARKeyPair.generate()
    par = create_par(
        bucket, "dir/a.bin", readable=True, writeable=True, duration=900, encrypt_key=pair, clock=lambda: NOW
    )
    grant = open_grant(par, pair, "test", check_time=False)
    cos = CosS3Client(CosConfig(Region=REGION, SecretId=COS_ID, SecretKey=COS_KEY, Scheme="https"))
    for url, method in ((grant.get, "GET"), (grant.put, "PUT")):
        assert url is not None
        theirs = cos.get_presigned_url(Bucket=name, Key="dir/a.bin", Method=method, Expired=900)
        assert urlsplit(url).netloc == urlsplit(theirs).netloc
        same = _query(url) == _query(theirs)
        assert same


@pytest.fixture(params=["moto", "rclone"])
def peer(request: pytest.FixtureRequest) -> S3Peer:
    return request.getfixturevalue(f"{request.param}_s3")  # type: ignore[no-any-return]


@pytest.fixture
def peer_bucket(peer: S3Peer) -> Iterator[Bucket]:
    with peer.client() as client:
        bucket = Bucket.create(BucketAPI(client), f"par-{uuid.uuid4().hex[:12]}")
        yield bucket
        for key in [item.key for item in bucket.objects()]:
            bucket.delete_object(key)
        bucket.delete()


@pytest.mark.s3peers
def test_read_and_write_pars_work_on_the_peer(peer: S3Peer, peer_bucket: Bucket, tmp_path: Path) -> None:
    """moto in IAM mode answers every presigned request with a 500 (docs/peer-notes.md §7); that is
    asserted as such, so the day it starts to accept them this test says so."""
    pair = PARKeyPair.generate()
    data = os.urandom(3 * 1024 * 1024 + 7)
    (tmp_path / "up.bin").write_bytes(data)
    writer = create_par(peer_bucket, "w.bin", writeable=True, duration=600, encrypt_key=pair)
    upload = ObjectWriter(PAR.from_data(writer.to_json()), pair)
    reader = create_par(peer_bucket, "w.bin", readable=True, duration=600, encrypt_key=pair)
    download = ObjectReader(PAR.from_data(reader.to_json()), pair)
    if "presign" not in peer.features:
        with pytest.raises(PARWriteError) as refused_write:
            upload.set_object_from_file(tmp_path / "up.bin")
        assert refused_write.value.status == 500
        peer_bucket.put("w.bin", data)
        with pytest.raises(PARReadError) as refused_read:
            download.get_object_as_file(tmp_path / "got.bin")
        assert refused_read.value.status == 500
        return
    upload.set_object_from_file(tmp_path / "up.bin")
    assert peer_bucket.get_bytes("w.bin") == data
    download.get_object_as_file(tmp_path / "got.bin")
    assert (tmp_path / "got.bin").read_bytes() == data


#: the status a peer answers an expired presigned URL with (rclone: 400 AccessDenied); moto in IAM
#: mode refuses every presigned URL, expired or not, with a 500 (docs/peer-notes.md §7)
EXPIRED_STATUS = {"moto": 500, "rclone": 400}


@pytest.mark.s3peers
def test_expiry_on_the_peer(peer: S3Peer, peer_bucket: Bucket, tmp_path: Path) -> None:
    """The PAR's own clock is held back, so only the peer can refuse the expired URL."""
    pair = PARKeyPair.generate()
    peer_bucket.put("k", b"x")
    par = create_par(peer_bucket, "k", readable=True, duration=1, encrypt_key=pair)
    stale = PAR.from_data(par.to_data(), clock=lambda: par.expires_at.timestamp() - 1000)  # type: ignore[union-attr]
    time.sleep(2.5)
    with pytest.raises(PARReadError) as refused:
        ObjectReader(stale, pair).get_object_as_file(tmp_path / "k")
    assert refused.value.status == EXPIRED_STATUS[peer.name]
    assert not (tmp_path / "k").exists()


@pytest.fixture
def open_moto(request: pytest.FixtureRequest) -> S3Peer:
    """moto with authentication off (the session fixture ``moto_s3_open``)."""
    return request.getfixturevalue("moto_s3_open")  # type: ignore[no-any-return]


@pytest.mark.s3peers
def test_par_urls_work_on_moto_with_auth_off(open_moto: S3Peer, tmp_path: Path) -> None:
    """The same PARs that moto in IAM mode refuses (above) read, write and POST on moto with
    authentication off: what fails there is its presign support, not our URLs. moto checks no
    signature in this mode, so this shows the URLs' form (paths, queries, the POST form), not their
    signatures; those are compared with boto3's above and checked by rclone and the emulator."""
    assert "presign" in open_moto.features
    pair = PARKeyPair.generate()
    data = os.urandom(3 * 1024 * 1024 + 11)
    (tmp_path / "up.bin").write_bytes(data)
    with open_moto.client() as client:
        bucket = Bucket.create(BucketAPI(client), f"par-{uuid.uuid4().hex[:12]}")
        writer = bucket.create_par("dir/w.bin", writeable=True, duration=600, encrypt_key=pair)
        stored = ObjectWriter(PAR.from_data(writer.to_json()), pair).set_object_from_file(tmp_path / "up.bin")
        assert stored.key == "dir/w.bin"
        assert bucket.get_bytes("dir/w.bin") == data
        reader = bucket.create_par("dir/w.bin", readable=True, duration=600, encrypt_key=pair)
        small = TransferConfig(max_workers=3, piece_size=1024 * 1024, max_request_size=1024 * 1024)
        got = ObjectReader(PAR.from_data(reader.to_json()), pair, config=small).get_object_as_file(
            tmp_path / "got.bin"
        )
        assert (tmp_path / "got.bin").read_bytes() == data
        assert got.requests >= 3  # parallel ranged GETs on the one presigned URL
        inbox = bucket.create_par(writeable=True, key_prefix="inbox/", duration=600, encrypt_key=pair)
        (tmp_path / "note.txt").write_bytes(b"posted through a bucket PAR")
        posted = BucketWriter(PAR.from_data(inbox.to_json()), pair).set_object_from_file(
            "note.txt", tmp_path / "note.txt"
        )
        assert posted.key == "inbox/note.txt"
        assert bucket.get_bytes("inbox/note.txt") == b"posted through a bucket PAR"
        for key in [item.key for item in bucket.objects()]:
            bucket.delete_object(key)
        bucket.delete()
