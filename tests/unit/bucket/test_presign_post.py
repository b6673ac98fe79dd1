"""POST policies: the conditions a form upload is held to, signed as each scheme defines, with the
signature checked by an implementation that is not ours (botocore for SigV4) or recomputed from
COS's published steps (q-sign)."""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import hmac
import json

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from cassdk_like.bucket import COSClient, S3Client
from cassdk_like.core.exceptions import InvalidArgumentError

from ._wire import APPID, AWS_ID, AWS_KEY, COS_ID, COS_KEY, COS_NOW, REGION


def _policy(fields: dict) -> dict:  # type: ignore[type-arg]
    return json.loads(base64.b64decode(fields["policy"]))


def test_s3_policy_conditions_and_botocores_signature(s3_path: S3Client) -> None:
    post = s3_path.presigned_post(
        "bkt",
        key_prefix="uploads/user-1/",
        expires=600,
        content_length_range=(1, 10 * 1024),
        fields={"success_action_status": "201"},
    )
    assert post.url == "http://127.0.0.1:9000/bkt"
    fields = post.fields
    assert fields["key"] == "uploads/user-1/${filename}"
    assert fields["x-amz-credential"] == f"{AWS_ID}/20130524/eu-west-1/s3/aws4_request"
    policy = _policy(fields)
    assert policy["expiration"] == "2013-05-24T00:10:00.000Z"
    assert {"bucket": "bkt"} in policy["conditions"]
    assert ["starts-with", "$key", "uploads/user-1/"] in policy["conditions"]
    assert ["content-length-range", 1, 10240] in policy["conditions"]
    assert {"success_action_status": "201"} in policy["conditions"]
    assert {"x-amz-date": "20130524T000000Z"} in policy["conditions"]
    request = AWSRequest(method="POST", url=post.url)
    request.context["timestamp"] = "20130524T000000Z"
    auth = SigV4Auth(Credentials(AWS_ID, AWS_KEY), "s3", "eu-west-1")
    assert fields["x-amz-signature"] == auth.signature(fields["policy"], request)
    assert fields["x-amz-signature"] not in repr(post)
    assert fields["policy"] not in repr(post)


def test_an_exact_key_policy(s3: S3Client) -> None:
    post = s3.presigned_post("examplebucket", key="a/b.txt", content_type="text/plain")
    assert post.url == "https://examplebucket.s3.amazonaws.com/"
    assert post.fields["key"] == "a/b.txt"
    assert post.fields["Content-Type"] == "text/plain"
    conditions = _policy(post.fields)["conditions"]
    assert {"key": "a/b.txt"} in conditions
    assert {"Content-Type": "text/plain"} in conditions


def test_cos_policy_follows_cos_signing_steps(cos: COSClient) -> None:
    bucket = f"examplebucket-{APPID}"
    post = cos.presigned_post(bucket, key_prefix="in/", expires=900, content_length_range=(0, 100))
    assert post.url == f"https://{bucket}.cos.{REGION}.myqcloud.com/"
    fields = post.fields
    key_time = f"{COS_NOW - 60};{COS_NOW + 900}"
    assert (fields["q-sign-algorithm"], fields["q-ak"], fields["q-key-time"]) == ("sha1", COS_ID, key_time)
    document = base64.b64decode(fields["policy"])
    policy = json.loads(document)
    for condition in (
        {"q-sign-algorithm": "sha1"},
        {"q-ak": COS_ID},
        {"q-sign-time": key_time},
        {"bucket": bucket},
    ):
        assert condition in policy["conditions"]
    end = _dt.datetime.fromtimestamp(COS_NOW + 900, tz=_dt.timezone.utc)
    assert policy["expiration"] == end.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    sign_key = hmac.new(COS_KEY.encode(), key_time.encode(), hashlib.sha1).hexdigest()
    string_to_sign = hashlib.sha1(document).hexdigest()
    expected = hmac.new(sign_key.encode(), string_to_sign.encode(), hashlib.sha1).hexdigest()
    assert fields["q-signature"] == expected


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"key": "a", "key_prefix": "b"},
        {"key": "a", "content_length_range": (5, 1)},
        {"key": "a", "content_length_range": (-1, 1)},
        {"key": "a", "fields": {"policy": "x"}},
    ],
)
def test_bad_policies_are_refused(s3_path: S3Client, kwargs: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidArgumentError) as caught:
        s3_path.presigned_post("bkt", **kwargs)
    assert caught.value.operation == "presigned_post"


def test_presigned_put_signs_the_content_type(s3_path: S3Client) -> None:
    url = s3_path.presigned_put_url("bkt", "k", 60, content_type="image/png")
    assert "X-Amz-SignedHeaders=content-type%3Bhost" in url
    assert str(url).startswith("http://127.0.0.1:9000/bkt/k?")
