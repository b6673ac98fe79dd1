"""The ``cascmd`` commands, each a few lines of ordinary SDK use over the public API.

Every handler takes the parsed arguments and the output stream and returns the exit status; errors
propagate as the SDK's exceptions and ``main`` turns them into one line on stderr.
"""

from __future__ import annotations

import argparse
import os
from typing import TextIO

from cassdk_like.cli.demo import run_demo
from cassdk_like.cli.output import json_document, table
from cassdk_like.core.config import load_profile, resolve_credentials, resolve_endpoint
from cassdk_like.vault.highlevel import CasAPI, Vault
from cassdk_like.vault.lowlevel import CASClient

__all__ = [
    "SECRET_ENV_VARS",
    "cmd_create_job",
    "cmd_create_vault",
    "cmd_delete_archive",
    "cmd_delete_vault",
    "cmd_demo",
    "cmd_desc_job",
    "cmd_desc_vault",
    "cmd_fetch",
    "cmd_list_jobs",
    "cmd_ls",
    "cmd_upload",
    "connect",
]

#: environment variables whose values must never be printed
SECRET_ENV_VARS = (
    "CAS_SECRET_KEY",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "COS_SECRET_KEY",
    "COS_SESSION_TOKEN",
    "REDUCT_API_TOKEN",
)


def connect(args: argparse.Namespace) -> CasAPI:
    """A ``CasAPI`` from the command line, else the environment, else the profile file.

    Credentials resolve field by field: ``--secret-key`` alone is used with the secret id from the
    environment or profile, never dropped because the environment holds a complete pair.
    """
    profile = load_profile(args.profile)
    dialect = args.dialect or os.environ.get("CAS_DIALECT") or profile.get("dialect") or "cas"
    settings = resolve_endpoint(args.endpoint, args.appid, args.region, profile=args.profile)
    credentials = resolve_credentials(args.secret_id, args.secret_key, dialect=dialect, profile=args.profile)
    client = CASClient(
        settings.endpoint,
        settings.appid,
        credentials.secret_id,
        credentials.secret_key,
        dialect=dialect,
        region=settings.region,
        session_token=credentials.session_token,
    )
    return CasAPI(client)


# -- vaults ------------------------------------------------------------------------------------


def cmd_ls(args: argparse.Namespace, out: TextIO) -> int:
    api = connect(args)
    rows = [
        (v.get("VaultName"), v.get("NumberOfArchives"), v.get("SizeInBytes"), v.get("CreationDate"))
        for v in api.list_all_vaults()
    ]
    table(out, ("VAULT", "ARCHIVES", "BYTES", "CREATED"), rows)
    return 0


def cmd_create_vault(args: argparse.Namespace, out: TextIO) -> int:
    connect(args).create_vault(args.vault)
    print(f"created vault {args.vault}", file=out)
    return 0


def cmd_delete_vault(args: argparse.Namespace, out: TextIO) -> int:
    connect(args).delete_vault(args.vault)
    print(f"deleted vault {args.vault}", file=out)
    return 0


def cmd_desc_vault(args: argparse.Namespace, out: TextIO) -> int:
    json_document(out, connect(args).describe_vault(args.vault))
    return 0


# -- archives ----------------------------------------------------------------------------------


def cmd_upload(args: argparse.Namespace, out: TextIO) -> int:
    """One request up to 100 MiB, parallel multipart above; prints the new archive id."""
    vault = Vault.get_vault_by_name(connect(args), args.vault)
    print(vault.upload_archive(args.file, args.desc), file=out)
    return 0


def cmd_delete_archive(args: argparse.Namespace, out: TextIO) -> int:
    connect(args).delete_archive(args.vault, args.archive_id)
    print(f"deleted archive {args.archive_id}", file=out)
    return 0


# -- jobs --------------------------------------------------------------------------------------


def cmd_create_job(args: argparse.Namespace, out: TextIO) -> int:
    api = connect(args)
    if args.inventory:
        response = api.initiate_job(args.vault, "inventory-retrieval", desc=args.desc, format=args.format)
    else:
        response = api.initiate_job(
            args.vault, "archive-retrieval", args.archive_id, args.desc, args.byte_range, args.tier
        )
    print(response[api.dialect.h("job-id")], file=out)
    return 0


def cmd_desc_job(args: argparse.Namespace, out: TextIO) -> int:
    json_document(out, connect(args).describe_job(args.vault, args.job_id))
    return 0


def cmd_list_jobs(args: argparse.Namespace, out: TextIO) -> int:
    api = connect(args)
    rows = [
        (j.get("JobId"), j.get("Action"), j.get("StatusCode"), j.get("CreationDate"))
        for j in api.list_all_jobs(args.vault, status_code=args.status)
    ]
    table(out, ("JOB", "ACTION", "STATUS", "CREATED"), rows)
    return 0


def cmd_fetch(args: argparse.Namespace, out: TextIO) -> int:
    """Wait for the job (unless --no-wait), then a parallel, verified, resumable download."""
    job = Vault.get_vault_by_name(connect(args), args.vault).get_job(args.job_id)
    if not args.no_wait:
        job.wait(timeout=args.timeout)
    result = job.download_to_file(args.file, block=not args.no_wait)
    checked = "tree hash verified" if result.verified else "no tree hash to verify against"
    print(f"saved {result.size:,} bytes to {result.path} ({checked})", file=out)
    return 0


# -- demo --------------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace, out: TextIO) -> int:
    report = run_demo(size_mib=args.size_mib, workers=args.workers, out=lambda line: print(line, file=out))
    return 0 if report.verified else 1
