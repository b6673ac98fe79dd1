"""The process the crash matrix kills: one upload or download against the parent's emulator.

``python -m tests.reliability.crash_child SPEC.json``.  The spec (written by the parent, mode 0600)
names the emulator, credentials, dialect, vault, mode and paths.  Modes:

* ``upload-start``: initiate a multipart upload, print ``UPLOAD_ID <id>`` (the parent needs it to
  resume in another process), then upload every part and complete; print ``ARCHIVE_ID <id>``.
* ``upload-resume``: ``vault.upload_archive(path, upload_id=...)``; print ``ARCHIVE_ID <id>``.
* ``upload-resume-mpu``: ``vault.get_multipart_uploader(id).resume(path)``; print ``ARCHIVE_ID <id>``.
* ``download``: ``job.download_to_file(dest, resume=True)``; print ``DOWNLOADED <result as JSON>``.
  With ``hold_before_rename`` the process announces ``RENAMING`` when the engine is about to move
  the verified partial file into place, and waits there to be killed.
* ``bucket-upload``: ``bucket.upload_file(path, key, keep_for_resume=True)``; ``bucket-upload-resume``:
  the same with ``upload_id=`` (the parent found it with ``Bucket.uploads``); both print
  ``ETAG <etag>``.  ``bucket-download``: ``bucket.download_file(key, dest)``, printing
  ``DOWNLOADED`` like ``download`` (and honouring ``hold_before_rename``).  The spec's ``service``
  (``s3`` or ``cos``) picks the bucket dialect.

Downloads commit their journal after every piece (``journal_interval=0``) unless the spec says
``"journal_interval": null`` (the engine's default): the crash matrix checks the promise that holds
then, at most one piece per worker fetched again.  ``"default_sizes": true`` leaves the piece and
request sizes at the engine's defaults too.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from typing import Any, Dict

from cassdk_like import CasAPI, CASClient, RetryPolicy, TransferConfig, Vault
from cassdk_like.bucket import Bucket, BucketAPI, BucketClient, COSClient, S3Client
from cassdk_like.engine import partial_paths

POLICY = RetryPolicy(total_attempts=3, backoff_base=0.01, backoff_cap=0.05)


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def hold_before_rename(dest: str) -> None:
    """Announce and block when the engine renames ``<dest>.cassdk-partial`` over ``dest``."""
    partial = partial_paths(dest)[0]
    real_replace = os.replace

    def replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        if os.fspath(src) == partial and os.fspath(dst) == dest:
            say("RENAMING")
            threading.Event().wait()  # until SIGKILL
        real_replace(src, dst, *args, **kwargs)

    os.replace = replace  # type: ignore[assignment]


def _config(spec: Dict[str, Any]) -> TransferConfig:
    journal = spec.get("journal_interval", 0.0)  # null: the engine's default
    sizes = {} if spec.get("default_sizes") else {"piece_size": spec.get("piece_size") or 32 * 1024 * 1024}
    return TransferConfig(
        max_workers=spec["workers"],
        part_size=spec.get("part_size"),
        retry_policy=POLICY,
        poll_interval=0.02,
        **sizes,
        **({} if journal is None else {"journal_interval": journal}),
    )


DOWNLOAD_FIELDS = ("size", "tree_hash", "verified", "pieces_fetched", "pieces_resumed", "bytes_fetched")


def _downloaded(result: Any) -> None:
    say("DOWNLOADED " + json.dumps({name: getattr(result, name) for name in DOWNLOAD_FIELDS}))


def bucket_main(spec: Dict[str, Any]) -> None:
    client: BucketClient
    if spec["service"] == "s3":
        client = S3Client(
            spec["endpoint"], spec["secret_id"], spec["secret_key"], region="us-east-1", retry_policy=POLICY
        )
    else:
        client = COSClient(
            spec["region"],
            spec["appid"],
            spec["secret_id"],
            spec["secret_key"],
            endpoint=spec["endpoint"],
            retry_policy=POLICY,
        )
    bucket = Bucket.get_bucket(BucketAPI(client), spec["bucket"])
    config, mode, path, key = _config(spec), spec["mode"], spec["path"], spec["key"]
    if mode in ("bucket-upload", "bucket-upload-resume"):
        done = bucket.upload_file(
            path,
            key,
            part_size=spec["part_size"],
            threshold=0,
            config=config,
            upload_id=spec.get("upload_id"),
            keep_for_resume=True,
        )
        say(f"ETAG {done.etag}")
        say(f"PARTS {done.parts_uploaded} {done.parts_skipped}")
    elif mode == "bucket-download":
        if spec.get("hold_before_rename"):
            hold_before_rename(path)
        result = bucket.download_file(key, path, config=config, resume=True)
        _downloaded(result)
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    client.close()


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as handle:
        spec: Dict[str, Any] = json.load(handle)
    if "service" in spec:
        bucket_main(spec)
        return
    client = CASClient(
        spec["endpoint"],
        spec["appid"],
        spec["secret_id"],
        spec["secret_key"],
        dialect=spec["dialect"],
        retry_policy=POLICY,
    )
    vault = Vault.get_vault_by_name(CasAPI(client), spec["vault"])
    config = _config(spec)
    mode, path = spec["mode"], spec["path"]
    if mode == "upload-start":
        upload = vault.initiate_multipart_upload(path, spec["desc"], part_size=spec["part_size"])
        say(f"UPLOAD_ID {upload.id}")
        say(f"ARCHIVE_ID {upload.upload(path, config=config)}")
    elif mode == "upload-resume":
        archive_id = vault.upload_archive(path, spec["desc"], upload_id=spec["upload_id"], config=config)
        say(f"ARCHIVE_ID {archive_id}")
    elif mode == "upload-resume-mpu":
        say(f"ARCHIVE_ID {vault.get_multipart_uploader(spec['upload_id']).resume(path, config=config)}")
    elif mode == "download":
        if spec.get("hold_before_rename"):
            hold_before_rename(path)
        result = vault.get_job(spec["job_id"]).download_to_file(path, config=config, resume=True)
        _downloaded(result)
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    client.close()


if __name__ == "__main__":
    main()
