"""cos-python-sdk-v5, Tencent's own COS client, against the emulator's COS service (pointed at it
with ``IP``/``Port``, so the Host still names ``<bucket>-<appid>.cos.<region>.myqcloud.com``)."""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import unquote, urlsplit

import pytest
import requests
from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_exception import CosServiceError

from cassdk_like.bucket import Bucket, BucketAPI, COSClient
from cassdk_like.emulator import Emulator
from cassdk_like.engine.config import TransferConfig

MiB = 1024 * 1024
REGION = "ap-guangzhou"  # the region the bucket conftest's emulator serves COS in

logging.getLogger("qcloud_cos").setLevel(logging.WARNING)  # its INFO lines print signed requests


def _cos(emu: Emulator, secret: str = "") -> Any:
    port = urlsplit(emu.endpoints["cos"]).port
    config = CosConfig(
        Region=REGION,
        SecretId=emu.secret_id,
        SecretKey=secret or emu.secret_key,
        Scheme="http",
        IP="127.0.0.1",
        Port=port,
    )
    return CosS3Client(config, retry=1)


@pytest.fixture
def cos(emu: Emulator) -> Any:
    return _cos(emu)


@pytest.fixture
def name(cos: Any, emu: Emulator) -> Iterator[str]:
    bucket = f"sdk{uuid.uuid4().hex[:10]}-{emu.appid}"
    cos.create_bucket(Bucket=bucket)
    yield bucket
    marker = ""
    while True:
        page = cos.list_objects(Bucket=bucket, Marker=marker)
        for item in page.get("Contents", []):
            cos.delete_object(Bucket=bucket, Key=item["Key"])
        if page.get("IsTruncated") != "true":
            break
        marker = page["NextMarker"]
    cos.delete_bucket(Bucket=bucket)


@pytest.fixture
def ours(emu: Emulator, name: str) -> Iterator[Bucket]:
    with COSClient(REGION, emu.appid, emu.secret_id, emu.secret_key, endpoint=emu.endpoints["cos"]) as client:
        yield Bucket(BucketAPI(client), name)


def test_objects_metadata_ranges_and_errors(cos: Any, name: str) -> None:
    done = cos.put_object(Bucket=name, Key="a b+c", Body=b"0123456789", Metadata={"x-cos-meta-owner": "x"})
    assert done["ETag"] == f'"{hashlib.md5(b"0123456789").hexdigest()}"'
    head = cos.head_object(Bucket=name, Key="a b+c")
    assert (head["Content-Length"], head["x-cos-meta-owner"]) == ("10", "x")
    assert head["x-cos-hash-crc64ecma"].isdigit()
    ranged = cos.get_object(Bucket=name, Key="a b+c", Range="bytes=7-9")
    assert ranged["Body"].get_raw_stream().read() == b"789"
    with pytest.raises(CosServiceError) as caught:
        cos.get_object(Bucket=name, Key="nothing")
    assert (caught.value.get_status_code(), caught.value.get_error_code()) == (404, "NoSuchKey")
    assert caught.value.get_request_id()


def test_a_wrong_secret_is_refused(emu: Emulator, name: str) -> None:
    with pytest.raises(CosServiceError) as caught:
        _cos(emu, secret="not-the-secret").list_objects(Bucket=name)
    assert caught.value.get_status_code() == 403
    assert caught.value.get_error_code() == "SignatureDoesNotMatch"


def test_listing_pages_with_markers(cos: Any, name: str) -> None:
    keys = sorted(["é/ü", "x%y", "dir/a", "dir/b", "plain"])
    for key in keys:
        cos.put_object(Bucket=name, Key=key, Body=b"x")
    listed, marker = [], ""
    for _ in range(10):
        page = cos.list_objects(Bucket=name, MaxKeys=2, Marker=marker, EncodingType="url")
        listed += [item["Key"] for item in page.get("Contents", [])]
        if page["IsTruncated"] != "true":
            break
        marker = unquote(page["NextMarker"])  # encoded like the keys; the SDK does not decode it
    assert [unquote(key) for key in listed] == keys
    top = cos.list_objects(Bucket=name, Delimiter="/")
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["dir/", "é/"]


def test_multipart_copy_tags_and_batch_delete(cos: Any, name: str, tmp_path: Path) -> None:
    data = os.urandom(5 * MiB + 123)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    cos.upload_file(
        Bucket=name, Key="big", LocalFilePath=str(source), PartSize=1, MAXThread=4, EnableMD5=True
    )
    assert cos.head_object(Bucket=name, Key="big")["ETag"].endswith('-6"')
    out = tmp_path / "out.bin"
    cos.download_file(Bucket=name, Key="big", DestFilePath=str(out), PartSize=1, MAXThread=4)
    assert out.read_bytes() == data
    cos.copy_object(
        Bucket=name,
        Key="copy",
        CopySource={"Bucket": name, "Key": "big", "Region": REGION},
        CopyStatus="Replaced",
        Metadata={"x-cos-meta-m": "1"},
    )
    assert cos.head_object(Bucket=name, Key="copy")["x-cos-meta-m"] == "1"
    cos.put_object_tagging(
        Bucket=name, Key="copy", Tagging={"TagSet": {"Tag": [{"Key": "env", "Value": "t"}]}}
    )
    assert cos.get_object_tagging(Bucket=name, Key="copy")["TagSet"]["Tag"] == [{"Key": "env", "Value": "t"}]
    deleted = cos.delete_objects(Bucket=name, Delete={"Object": [{"Key": "big"}, {"Key": "copy"}]})
    assert sorted(d["Key"] for d in deleted["Deleted"]) == ["big", "copy"]


def test_a_presigned_url_from_the_sdk(cos: Any, name: str, emu: Emulator) -> None:
    cos.put_object(Bucket=name, Key="shared", Body=b"shared bytes")
    # With IP/Port the SDK would sign the host 127.0.0.1:port, which names no bucket; unsigned, the
    # Host header carries the bucket's COS host as a client of the real service would send it.
    url = cos.get_presigned_url(Method="GET", Bucket=name, Key="shared", Expired=60, SignHost=False)
    answer = requests.get(url, headers={"Host": f"{name}.cos.{REGION}.myqcloud.com"}, timeout=10)
    status = answer.status_code  # compared as a value: a failing assert must not print the signed URL
    assert status == 200
    assert answer.content == b"shared bytes"


def test_what_our_client_writes_the_sdk_reads_and_back(
    cos: Any, name: str, ours: Bucket, tmp_path: Path
) -> None:
    data = os.urandom(3 * MiB + 7)
    source = tmp_path / "ours.bin"
    source.write_bytes(data)
    config = TransferConfig(max_workers=4, min_part_size=MiB)
    ours.upload_file(source, "from-ours", threshold=MiB, part_size=MiB, config=config)
    assert cos.get_object(Bucket=name, Key="from-ours")["Body"].get_raw_stream().read() == data
    cos.upload_file(Bucket=name, Key="from-sdk", LocalFilePath=str(source), PartSize=1, MAXThread=2)
    out = tmp_path / "back.bin"
    ours.download_file("from-sdk", out, config=config)
    assert out.read_bytes() == data
