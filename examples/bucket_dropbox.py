"""A drop box in a bucket: let others upload under one prefix, and nowhere else, with a signed POST
policy; give one person a URL to put exactly one file; read what arrived.

Nothing here needs the uploaders to hold a key: the policy and the URL carry a signature that
expires. Runs against a throw-away local emulator in both dialects (S3 with SigV4, COS with
q-sign); against the real services use ``S3Client()`` or ``COSClient(region, appid)`` with the
usual environment variables.
"""

from __future__ import annotations

from typing import Dict, Optional
from urllib.parse import urlsplit

import requests

from cassdk_like.bucket import Bucket, BucketAPI, BucketClient, COSClient, S3Client
from cassdk_like.emulator import Emulator


def send(method: str, url: str, connect_to: Optional[str], **kwargs: object) -> requests.Response:
    """What an uploader's browser or script does. ``connect_to`` sends the request to a local
    server that reads the bucket from the Host header (the URL names the real COS host)."""
    headers: Dict[str, str] = dict(kwargs.pop("headers", {}) or {})  # type: ignore[call-overload]
    if connect_to is not None:
        parts = urlsplit(url)
        headers["Host"] = parts.netloc
        url = f"{connect_to}{parts.path}" + (f"?{parts.query}" if parts.query else "")
    return requests.request(method, url, headers=headers, timeout=10, **kwargs)  # type: ignore[arg-type]


def drop_box(client: BucketClient, connect_to: Optional[str] = None) -> None:
    name = client.dialect.name
    bucket = Bucket.create(BucketAPI(client), "example-dropbox", exist_ok=True)

    # a policy for one hour: any key under inbox/, files of 1 byte to 1 MiB, answered with 201
    post = bucket.presigned_post(
        key_prefix="inbox/",
        expires=3600,
        content_length_range=(1, 1024 * 1024),
        fields={"success_action_status": "201"},
    )
    # the form's fields are public; the policy's signature is what grants the upload
    for filename, body in (("report.csv", b"day,value\n1,42\n"), ("photo.jpg", b"\xff\xd8 not really")):
        answer = send("POST", post.url, connect_to, data=post.fields, files={"file": (filename, body)})
        assert answer.status_code == 201, answer.text
    outside = dict(post.fields, key="elsewhere/x.txt")
    refused = send("POST", post.url, connect_to, data=outside, files={"file": ("x.txt", b"x")})
    print(f"[{name}] two uploads under inbox/, one elsewhere refused with HTTP {refused.status_code}")
    assert refused.status_code == 403

    # one file, one key, one content type, for ten minutes
    url = bucket.presigned_put_url("inbox/contract.pdf", 600, content_type="application/pdf")
    put = send("PUT", url, connect_to, data=b"%PDF-1.7 ...", headers={"Content-Type": "application/pdf"})
    wrong = send("PUT", url, connect_to, data=b"x", headers={"Content-Type": "text/plain"})
    print(f"[{name}] presigned PUT: HTTP {put.status_code}; another content type: HTTP {wrong.status_code}")
    assert (put.status_code, wrong.status_code) == (200, 403)

    arrived = {o.key: o.size for o in bucket.objects(prefix="inbox/")}
    print(f"[{name}] inbox:", arrived)
    assert sorted(arrived) == ["inbox/contract.pdf", "inbox/photo.jpg", "inbox/report.csv"]
    assert bucket.get_bytes("inbox/report.csv") == b"day,value\n1,42\n"

    bucket.delete_objects(list(arrived))
    bucket.delete()


with Emulator() as emu:
    with S3Client(emu.endpoints["s3"], emu.secret_id, emu.secret_key, region="us-east-1") as s3:
        drop_box(s3)
    cos = COSClient("ap-guangzhou", emu.appid, emu.secret_id, emu.secret_key, endpoint=emu.endpoints["cos"])
    with cos:
        drop_box(cos, connect_to=emu.endpoints["cos"])
    print("drop box example verified")
