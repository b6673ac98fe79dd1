"""boto3 (signature s3v4, path style), an independent S3 client, against the emulator's S3 service:
what boto3 sends the emulator must accept, what the emulator answers boto3 must parse, and objects
written by either client read back byte for byte through the other."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest
import requests
from boto3.s3.transfer import TransferConfig as Boto3TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from cassdk_like.bucket import Bucket, BucketAPI, S3Client
from cassdk_like.emulator import Emulator
from cassdk_like.engine.config import TransferConfig

MiB = 1024 * 1024


def _boto3(emu: Emulator, secret: str = "") -> Any:
    return boto3.client(
        "s3",
        endpoint_url=emu.endpoints["s3"],
        region_name="us-east-1",
        aws_access_key_id=emu.secret_id,
        aws_secret_access_key=secret or emu.secret_key,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


@pytest.fixture
def s3(emu: Emulator) -> Any:
    return _boto3(emu)


@pytest.fixture
def name(s3: Any) -> Iterator[str]:
    bucket = f"boto-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    yield bucket
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=item["Key"])
    for upload in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
        s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    s3.delete_bucket(Bucket=bucket)


@pytest.fixture
def ours(emu: Emulator, name: str) -> Iterator[Bucket]:
    with S3Client(emu.endpoints["s3"], emu.secret_id, emu.secret_key, region="us-east-1") as client:
        yield Bucket(BucketAPI(client), name)


def test_objects_metadata_ranges_and_conditions(s3: Any, name: str) -> None:
    s3.put_object(
        Bucket=name, Key="a b+c", Body=b"0123456789", Metadata={"owner": "x"}, ContentType="text/plain"
    )
    head = s3.head_object(Bucket=name, Key="a b+c")
    assert (head["ContentLength"], head["ContentType"], head["Metadata"]) == (
        10,
        "text/plain",
        {"owner": "x"},
    )
    assert head["ETag"] == f'"{hashlib.md5(b"0123456789").hexdigest()}"'
    ranged = s3.get_object(Bucket=name, Key="a b+c", Range="bytes=-3")
    assert (ranged["Body"].read(), ranged["ContentRange"]) == (b"789", "bytes 7-9/10")
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=name, Key="a b+c", IfMatch='"0000"')
    assert caught.value.response["Error"]["Code"] == "PreconditionFailed"
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=name, Key="nothing")
    assert caught.value.response["Error"]["Code"] == "NoSuchKey"
    assert caught.value.response["ResponseMetadata"]["RequestId"]


def test_checksums_boto3_sends_are_verified(s3: Any, name: str) -> None:
    done = s3.put_object(Bucket=name, Key="c", Body=b"data", ChecksumAlgorithm="SHA256")
    assert done["ChecksumSHA256"]
    with pytest.raises(ClientError) as caught:
        s3.put_object(
            Bucket=name, Key="c", Body=b"data", ChecksumSHA256="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
        )
    assert caught.value.response["Error"]["Code"] == "BadDigest"


def test_a_wrong_secret_is_signature_does_not_match(emu: Emulator, name: str) -> None:
    with pytest.raises(ClientError) as caught:
        _boto3(emu, secret="not-the-secret").list_objects_v2(Bucket=name)
    assert caught.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_listing_pages_with_the_paginator(s3: Any, name: str) -> None:
    keys = sorted(["é/ü", "x%y", "q?r&s=t", "dir/a", "dir/b", "plain"])
    for key in keys:
        s3.put_object(Bucket=name, Key=key, Body=b"x")
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=name, PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3
    assert [item["Key"] for page in pages for item in page["Contents"]] == keys
    top = s3.list_objects_v2(Bucket=name, Delimiter="/")
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["dir/", "é/"]


def test_multipart_copy_tags_and_batch_delete(s3: Any, name: str, tmp_path: Path) -> None:
    data = os.urandom(11 * MiB)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    config = Boto3TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=4)
    s3.upload_file(str(source), name, "big", Config=config)
    assert s3.head_object(Bucket=name, Key="big")["ETag"].endswith('-3"')
    out = tmp_path / "out.bin"
    s3.download_file(name, "big", str(out), Config=config)
    assert out.read_bytes() == data
    s3.copy_object(
        Bucket=name,
        Key="copy",
        CopySource={"Bucket": name, "Key": "big"},
        MetadataDirective="REPLACE",
        Metadata={"m": "1"},
    )
    assert s3.head_object(Bucket=name, Key="copy")["Metadata"] == {"m": "1"}
    s3.put_object_tagging(Bucket=name, Key="copy", Tagging={"TagSet": [{"Key": "env", "Value": "t"}]})
    assert s3.get_object_tagging(Bucket=name, Key="copy")["TagSet"] == [{"Key": "env", "Value": "t"}]
    deleted = s3.delete_objects(
        Bucket=name, Delete={"Objects": [{"Key": "big"}, {"Key": "copy"}, {"Key": "none"}]}
    )
    assert sorted(d["Key"] for d in deleted["Deleted"]) == ["big", "copy", "none"]


def test_a_small_part_is_entity_too_small(s3: Any, name: str) -> None:
    upload = s3.create_multipart_upload(Bucket=name, Key="k")["UploadId"]
    parts = []
    for number, size in ((1, MiB), (2, MiB)):
        etag = s3.upload_part(Bucket=name, Key="k", UploadId=upload, PartNumber=number, Body=b"a" * size)[
            "ETag"
        ]
        parts.append({"ETag": etag, "PartNumber": number})
    with pytest.raises(ClientError) as caught:
        s3.complete_multipart_upload(Bucket=name, Key="k", UploadId=upload, MultipartUpload={"Parts": parts})
    assert caught.value.response["Error"]["Code"] == "EntityTooSmall"


def test_presigned_urls_and_post_policies_from_boto3(s3: Any, name: str) -> None:
    # statuses are compared as plain values: a failing assert must not print a signed URL
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": name, "Key": "up"}, ExpiresIn=60)
    put_status = requests.put(put_url, data=b"via url", timeout=10).status_code
    assert put_status == 200
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": name, "Key": "up"}, ExpiresIn=60)
    assert requests.get(get_url, timeout=10).content == b"via url"
    tampered = get_url[:-1] + ("1" if get_url.endswith("0") else "0")
    tampered_status = requests.get(tampered, timeout=10).status_code
    assert tampered_status == 403
    post = s3.generate_presigned_post(
        name, "in/${filename}", Conditions=[["starts-with", "$key", "in/"]], ExpiresIn=60
    )
    sent = requests.post(post["url"], data=post["fields"], files={"file": ("f.txt", b"posted")}, timeout=10)
    assert sent.status_code == 204, sent.text
    assert s3.get_object(Bucket=name, Key="in/f.txt")["Body"].read() == b"posted"
    outside = {**post["fields"], "key": "out/f.txt"}
    assert (
        requests.post(post["url"], data=outside, files={"file": ("f.txt", b"x")}, timeout=10).status_code
        == 403
    )


def test_what_our_client_writes_boto3_reads_and_back(
    s3: Any, name: str, ours: Bucket, tmp_path: Path
) -> None:
    data = os.urandom(12 * MiB)
    source = tmp_path / "ours.bin"
    source.write_bytes(data)
    config = TransferConfig(max_workers=4, min_part_size=5 * MiB)
    ours.upload_file(source, "from-ours", threshold=5 * MiB, part_size=5 * MiB, config=config)
    assert s3.get_object(Bucket=name, Key="from-ours")["Body"].read() == data
    assert (
        s3.head_object(Bucket=name, Key="from-ours")["Metadata"]["sha256"] == hashlib.sha256(data).hexdigest()
    )
    s3.upload_file(
        str(source),
        name,
        "from-boto3",
        Config=Boto3TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB),
    )
    out = tmp_path / "back.bin"
    ours.download_file("from-boto3", out, config=config)
    assert out.read_bytes() == data
