"""A nightly archive job: put a file into a vault, remember the archive id, and finish tomorrow
what was interrupted today.

    python examples/nightly_archive.py FILE [--vault NAME] [--state PATH] [--part-size-mib N]

The connection comes from ``CAS_ENDPOINT``, ``CAS_APPID``, ``CAS_SECRET_ID`` and ``CAS_SECRET_KEY``
(or a ``cascmd config`` profile). A small JSON state file (default: ``FILE.archive.json``) says
where things stand. The upload id goes into it *before* the first part is sent, so whatever stops
the run -- Ctrl-C, ``kill``, ``kill -9``, a lost network -- the next run finds the upload, lets
the SDK check the parts already stored against the file, and sends only the rest. Once complete
the state records the archive id and tree hash, and later runs have nothing to do until the file
changes. (Killed between the service completing the archive and the state being written, the
next run uploads the file again as a new archive.)

Without FILE it shows all of this offline: on a local emulator, one night fails part-way through
(an injected outage), the next night resumes, and a third finds the work done.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, Optional

from cassdk_like import (
    CasAPI,
    CASClient,
    MiB,
    MultipartUploadError,
    ProgressCallback,
    ProgressEvent,
    TransferConfig,
    Vault,
    hash_file,
)
from cassdk_like.vault import ResourceNotFoundException

INTERRUPTED = 130  # the exit status of a run stopped by Ctrl-C or kill


def load_state(state_path: Path) -> Dict[str, Any]:
    """The saved state, or an empty one on the first night."""
    if not state_path.exists():
        return {}
    return dict(json.loads(state_path.read_text(encoding="utf-8")))


def save_state(state_path: Path, state: Dict[str, Any]) -> None:
    """Write the state atomically: a kill mid-write leaves the old file, never half of a new one."""
    temp = state_path.with_name(state_path.name + ".tmp")
    temp.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    os.replace(temp, state_path)


def file_identity(path: Path) -> Dict[str, Any]:
    """What says "the same file as last night": its path, size and modification time."""
    info = path.stat()
    return {"path": str(path.resolve()), "size": info.st_size, "mtime_ns": info.st_mtime_ns}


def open_vault(api: CasAPI, name: str) -> Vault:
    try:
        return Vault.get_vault_by_name(api, name)
    except ResourceNotFoundException:
        return Vault.create(api, name)


def archive_file(
    api: CasAPI,
    vault_name: str,
    path: Path,
    state_path: Path,
    *,
    part_size: int = 16 * MiB,
    config: Optional[TransferConfig] = None,
    progress: Optional[ProgressCallback] = None,
) -> int:
    """One night's run; returns the exit status (0 done, 1 failed, 130 interrupted)."""
    state = load_state(state_path)
    identity = file_identity(path)
    if state.get("file") == identity and state.get("archive_id"):
        archived = f"archive {state['archive_id'][:20]}... since {state['archived_at']}"
        print(f"nothing to do: {path.name} is {archived}")
        return 0

    vault = open_vault(api, vault_name)
    upload = None
    if state.get("file") == identity and state.get("upload_id"):
        try:
            upload = vault.get_multipart_uploader(state["upload_id"])
            print(f"resuming upload {upload.id[:20]}...: {upload.size_completed // MiB} MiB already stored")
        except ResourceNotFoundException:  # completed or expired since: start again
            print("the interrupted upload is gone; starting a new one")
    if upload is None:
        upload = vault.initiate_multipart_upload(path, f"nightly {path.name}", part_size=part_size)
        state = {"file": identity, "vault": vault.name, "upload_id": upload.id, "archive_id": None}
        save_state(state_path, state)  # before any part is sent: a kill from here on is resumable
        print(f"uploading {path.name} ({identity['size'] // MiB} MiB) as upload {upload.id[:20]}...")

    try:
        archive_id = upload.resume(path, config=config, progress=progress)  # skips the parts already stored
    except KeyboardInterrupt:
        print(f"interrupted; run it again to resume upload {upload.id[:20]}...")
        return INTERRUPTED
    except MultipartUploadError as error:
        print(f"failed ({type(error.__cause__).__name__}); run it again to resume upload {upload.id[:20]}...")
        return 1

    state.update(
        upload_id=None,
        archive_id=archive_id,
        tree_hash=upload.tree_hash,
        archived_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    )
    save_state(state_path, state)
    print(f"archived {path.name} as {archive_id[:20]}... (tree hash {upload.tree_hash[:16]}...)")
    return 0


def stop_on_sigterm() -> None:
    """``kill`` (SIGTERM) stops the run like Ctrl-C: the upload is kept and the state is saved."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def offline_demo() -> int:
    """Three nights on a local emulator: an outage part-way through, a resume, nothing left to do."""
    from cassdk_like.emulator import Emulator  # noqa: PLC0415 - only the demo needs it

    with (
        tempfile.TemporaryDirectory() as tmp,
        Emulator(job_delay_scale=0) as emu,
        CASClient(emu.endpoint, emu.appid, emu.secret_id, emu.secret_key) as client,
    ):
        api = CasAPI(client)
        path, state_path = Path(tmp, "backup.tar"), Path(tmp, "backup.tar.archive.json")
        path.write_bytes(os.urandom(12 * MiB))

        outage_started = []

        def outage(event: ProgressEvent) -> None:
            """A third of the way through, the service starts refusing every part."""
            if event.done >= 4 * MiB and not outage_started:
                outage_started.append(emu.faults.fail_next(None, status=403, code="ExpiredTokenException"))

        print("night 1:")
        emu.faults.add_latency(0.05, method="PUT")  # so the outage lands mid-upload
        every_event = TransferConfig(max_workers=2, progress_interval=0)
        first = archive_file(
            api, "nightly", path, state_path, part_size=MiB, config=every_event, progress=outage
        )
        emu.faults.reset()
        print("night 2:")
        second = archive_file(api, "nightly", path, state_path, part_size=MiB)
        print("night 3:")
        third = archive_file(api, "nightly", path, state_path, part_size=MiB)
        state = load_state(state_path)
        if (first, second, third) != (1, 0, 0) or state["tree_hash"] != hash_file(path).tree_hash:
            print(f"unexpected: exit statuses {first}, {second}, {third}; state {state}")
            return 1
    print("nightly archive example verified")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description="Archive FILE into a vault, resuming an interrupted run.")
    parser.add_argument("file", nargs="?", type=Path, help="the file to archive (none: an offline demo)")
    parser.add_argument("--vault", default="nightly", help="the vault (created if missing)")
    parser.add_argument("--state", type=Path, help="the state file (default: FILE.archive.json)")
    parser.add_argument("--part-size-mib", type=int, default=16, help="MiB per part, a power of two")
    args = parser.parse_args()
    if args.file is None:
        return offline_demo()
    stop_on_sigterm()
    state_path = args.state or args.file.with_name(args.file.name + ".archive.json")
    with CASClient() as client:  # CAS_ENDPOINT, CAS_APPID, CAS_SECRET_ID, CAS_SECRET_KEY
        return archive_file(
            CasAPI(client), args.vault, args.file, state_path, part_size=args.part_size_mib * MiB
        )


if __name__ == "__main__":
    sys.exit(main())
