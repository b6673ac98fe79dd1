"""Share one object with a colleague through a PAR (docs/par.md).

The colleague makes a key pair and sends you only the public half. You create a read PAR sealed to
it and send the PAR's JSON, which holds no URL, signature or key: only the colleague's private key
opens it. They load it and download in parallel, with the bytes verified. Runs against a
throw-away local emulator; against the real service use ``S3Client()`` with the usual environment
variables.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from cassdk_like.bucket import Bucket, BucketAPI, S3Client
from cassdk_like.emulator import Emulator
from cassdk_like.engine import TransferConfig
from cassdk_like.par import PAR, ObjectReader, PARKeyPair, create_par

MiB = 1024 * 1024


def share(bucket: Bucket, folder: Path) -> None:
    data = os.urandom(5 * MiB + 321)
    bucket.put("reports/q3.bin", data)

    # the colleague: a key pair; only the public PEM leaves their machine
    colleague = PARKeyPair.generate()
    public_pem = colleague.public_pem()

    # you: a read PAR for one hour, sealed to that public key, as JSON text to send
    par = create_par(bucket, "reports/q3.bin", readable=True, duration=3600, encrypt_key=public_pem)
    sent = par.to_json()
    print(f"PAR {par.uid} expires at {par.expires_at:%Y-%m-%d %H:%M:%S} UTC, {len(sent)} bytes of JSON")

    # the colleague: load it and download in parallel (1 MiB ranges, 4 at a time)
    received = PAR.from_data(sent)
    parallel = TransferConfig(max_workers=4, piece_size=MiB, max_request_size=MiB)
    target = folder / "q3.bin"
    result = ObjectReader(received, colleague, config=parallel).get_object_as_file(target)
    assert target.read_bytes() == data
    assert result.verified
    digest = hashlib.sha256(data).hexdigest()[:16]
    print(f"downloaded {target.stat().st_size} bytes in {result.requests} requests, sha256 {digest}...")


with Emulator() as emu, tempfile.TemporaryDirectory() as tmp:
    with S3Client(emu.endpoints["s3"], emu.secret_id, emu.secret_key, region="us-east-1") as s3:
        share(Bucket.create(BucketAPI(s3), "example-par-share", exist_ok=True), Path(tmp))
    print("par share example verified")
