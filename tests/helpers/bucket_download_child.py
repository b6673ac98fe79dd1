"""Child process for the bucket kill -9 resume test: ``python -m tests.helpers.bucket_download_child
DIALECT ENDPOINT BUCKET KEY DEST``, with the account in ``CASSDK_TEST_APPID`` /
``CASSDK_TEST_SECRET_ID`` / ``CASSDK_TEST_SECRET_KEY`` (never on the command line).

Downloads with small pieces and a journal commit after every piece, so the parent can SIGKILL it as
soon as the journal names a finished piece.
"""

from __future__ import annotations

import os
import sys

from cassdk_like.bucket import Bucket, BucketAPI, BucketClient, COSClient, S3Client
from cassdk_like.core.integrity import MiB
from cassdk_like.engine import TransferConfig

CONFIG = TransferConfig(
    max_workers=2, piece_size=MiB, max_request_size=MiB, journal_interval=0, poll_interval=0.05
)


def client(dialect: str, endpoint: str) -> BucketClient:
    secret_id, secret_key = os.environ["CASSDK_TEST_SECRET_ID"], os.environ["CASSDK_TEST_SECRET_KEY"]
    if dialect == "s3":
        return S3Client(endpoint, secret_id, secret_key, region="us-east-1")
    return COSClient(
        "ap-guangzhou", os.environ["CASSDK_TEST_APPID"], secret_id, secret_key, endpoint=endpoint
    )


def main() -> None:
    dialect, endpoint, bucket, key, dest = sys.argv[1:6]
    with client(dialect, endpoint) as made:
        Bucket(BucketAPI(made), bucket).download_file(key, dest, config=CONFIG)


if __name__ == "__main__":
    main()
