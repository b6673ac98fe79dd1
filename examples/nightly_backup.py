"""A nightly backup: a folder tree goes into a bucket on the Low lane while an urgent transfer to
the same bucket goes on the High lane, and a run stopped half-way is continued by the next one.

    python examples/nightly_backup.py FOLDER --bucket NAME [--urgent PATH] [--prefix P]
                                      [--state DIR] [--profile NAME] [--rate BYTES_PER_S]

The bucket (which must exist) is reached with the settings of ``--profile``: the profile file and
the environment, e.g. ``AWS_ENDPOINT_URL_S3``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``
(what ``cascmd serve`` prints). The transfer manager keeps everything in ``--state`` (default
``FOLDER.backup-state``): the destination, both transfers and which files each has sent. Whatever
stops a run -- Ctrl-C, ``kill``, ``kill -9`` -- the next run finds the unfinished transfers there
and continues them from their last checkpoint; a run with nothing unfinished starts tonight's
backup, which skips the files the bucket already holds unchanged.

Both transfers share the destination's rate (``--rate``, bytes per second): the lanes split it
70 : 5 between High and Low while both have files to send, which the run measures and prints.

Without FOLDER it shows all of this offline on a local emulator: the first night is cut short,
the second continues where it stopped and checks every object.
"""

from __future__ import annotations

import argparse
import hashlib
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, Optional

from cassdk_like.transfer import (
    DEFAULT_LANES,
    OVERWRITE_DIFFERENT,
    ConnectionSettings,
    TransferInfo,
    TransferManager,
)

INTERRUPTED = 130  # the exit status of a run stopped by Ctrl-C or kill
JOB = "nightly-backup"
Stop = Callable[[TransferInfo], bool]


def unfinished(manager: TransferManager, role: str, source: Path) -> Optional[TransferInfo]:
    """The transfer of ``source`` in ``role`` (backup or urgent) an earlier run left unfinished."""
    for info in manager.get_transfers():
        data = info.user_data
        mine = data.get("job") == JOB and data.get("role") == role and data.get("source") == str(source)
        if mine and info.status not in ("complete", "failed"):
            return info
    return None


def queue(manager: TransferManager, dest_id: str, role: str, source: Path, lane: str) -> TransferInfo:
    """The unfinished transfer of ``source``, resumed if it was suspended, else a new one."""
    found = unfinished(manager, role, source)
    if found is not None:
        print(
            f"continuing {role} transfer {found.id} from its last checkpoint: {progress(found)} already sent"
        )
        if found.status == "suspended":
            manager.resume_transfer(found.id)
        return found
    # the backup's files go straight under the prefix, the urgent file or folder under its name
    manifest = manager.create_manifest({"/" if role == "backup" else source.name: str(source)})
    made = manager.create_transfer(
        dest_id,
        manifest.id,
        priority_lane=lane,
        overwrite_mode=OVERWRITE_DIFFERENT,  # files the bucket holds unchanged are skipped
        checkpoint_seconds=0.2,
        user_data={"job": JOB, "role": role, "source": str(source)},
    )
    manager.delete_manifest(manifest.id)  # the transfer keeps its own list of files
    print(f"started {role} transfer {made.id} on the {lane} lane: {made.file_count} files")
    return made


def progress(info: TransferInfo) -> str:
    """``12/90 files, 104 of 820 KiB``: files sent or found unchanged, and bytes sent."""
    sent = info.files_done + info.files_skipped
    return f"{sent}/{info.file_count} files, {info.bytes_done // 1024} of {info.bytes_total // 1024} KiB"


def run_night(
    state: Path,
    settings: Dict[str, ConnectionSettings],
    address: str,
    folder: Path,
    urgent: Optional[Path],
    *,
    profile: str,
    rate: Optional[float],
    stop: Optional[Stop] = None,
) -> int:
    """One night's run; returns the exit status (0 done, 1 failed, 130 interrupted). ``stop`` is
    asked at each look at the backup's progress whether to stop here (the demo's interruption)."""
    with TransferManager(state, settings=settings, max_workers=2, start=False) as manager:
        dest = manager.create_destination(address, send_rate_max=rate, profile=profile)
        backup = queue(manager, dest.id, "backup", folder, "Low")
        high = queue(manager, dest.id, "urgent", urgent, "High") if urgent is not None else None
        manager.start()
        try:
            return watch(manager, backup.id, high.id if high is not None else None, stop)
        except KeyboardInterrupt:
            print("interrupted; run it again to continue from the last checkpoint")
            return INTERRUPTED


def watch(manager: TransferManager, backup_id: int, urgent_id: Optional[int], stop: Optional[Stop]) -> int:
    """Print both transfers' progress until the backup ends, and the lane shares seen meanwhile."""
    started = {ident: manager.get_transfer(ident).bytes_done for ident in (backup_id, urgent_id) if ident}
    both_ran = urgent_id is not None and manager.get_transfer(urgent_id).status != "complete"
    printed = 0.0
    while True:
        backup = manager.get_transfer(backup_id)
        urgent = manager.get_transfer(urgent_id) if urgent_id is not None else None
        if time.monotonic() - printed >= 0.5 or backup.status in ("complete", "failed"):
            line = f"backup {backup.id} {backup.status}: {progress(backup)}"
            if urgent is not None:
                line += f" | urgent {urgent.id} {urgent.status}: {progress(urgent)}"
            print(line, flush=True)
            printed = time.monotonic()
        if both_ran and urgent is not None and urgent.status == "complete":
            both_ran = False
            high, low = urgent.bytes_done - started[urgent.id], backup.bytes_done - started[backup.id]
            if high > 0:  # an urgent transfer that only skipped unchanged files shows nothing
                shares(high, low)
        if stop is not None and stop(backup):
            return INTERRUPTED
        if backup.status == "complete":
            print(f"backup complete: {backup.files_done} files sent, {backup.files_skipped} unchanged")
            return 0
        if backup.status == "failed":
            print(f"backup failed: {backup.error}; run it again to retry")
            return 1
        time.sleep(0.1)


def shares(high: int, low: int) -> None:
    """The split of the bytes sent while both lanes were busy, next to what the lanes promise."""
    total = max(high + low, 1)
    expected = DEFAULT_LANES["High"] / (DEFAULT_LANES["High"] + DEFAULT_LANES["Low"])
    print(
        f"lane shares while both ran: High {100 * high / total:.1f} %, Low {100 * low / total:.1f} % "
        f"(lanes High {DEFAULT_LANES['High']:.2f}, Low {DEFAULT_LANES['Low']:.2f}: "
        f"{100 * expected:.1f} % / {100 * (1 - expected):.1f} % expected)"
    )


def stop_on_sigterm() -> None:
    """``kill`` (SIGTERM) stops the run like Ctrl-C; the manager checkpoints as it closes."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def make_tree(root: Path, files: int, size: int, seed: str) -> Path:
    """``files`` files of about ``size`` pseudo-random bytes, in a few folders."""
    for index in range(files):
        folder = root / f"dir{index % 4}" / ("sub" if index % 3 else "")
        folder.mkdir(parents=True, exist_ok=True)
        block = hashlib.sha256(f"{seed}-{index}".encode()).digest()
        (folder / f"file{index:03d}.dat").write_bytes(block * ((size + index * 37) // len(block)))
    return root


def offline_demo() -> int:
    """Two nights on a local emulator: the first cut short part-way, the second continues it."""
    from cassdk_like.bucket import Bucket, BucketAPI, S3Client  # noqa: PLC0415 - only the demo
    from cassdk_like.emulator import Emulator  # noqa: PLC0415 - only the demo needs it

    with tempfile.TemporaryDirectory() as tmp, Emulator(job_delay_scale=0) as emu:
        settings = {
            "emu": ConnectionSettings(
                endpoint=emu.endpoints["s3"],
                region="us-east-1",
                secret_id=emu.secret_id,
                secret_key=emu.secret_key,
            )
        }
        folder = make_tree(Path(tmp, "home"), files=120, size=12_000, seed="home")
        urgent = make_tree(Path(tmp, "urgent"), files=8, size=96_000, seed="urgent")
        state = Path(tmp, "state")
        with S3Client(emu.endpoints["s3"], emu.secret_id, emu.secret_key, region="us-east-1") as client:
            bucket = Bucket.create(BucketAPI(client), "nightly")
            address, rate = "s3://nightly/backup", 1_500_000.0

            def cut_short(backup: TransferInfo) -> bool:
                return backup.files_done >= 40

            print("night 1:")
            first = run_night(
                state, settings, address, folder, urgent, profile="emu", rate=rate, stop=cut_short
            )
            print("night 2:")
            second = run_night(state, settings, address, folder, None, profile="emu", rate=rate)
            expected = {
                path.relative_to(base).as_posix(): path.read_bytes()
                for root, base in ((folder, folder), (urgent, urgent.parent))
                for path in root.rglob("*")
                if path.is_file()
            }
            held = {
                o.key[len("backup/") :]: bucket.get_bytes(o.key) for o in bucket.objects(prefix="backup/")
            }
        if (first, second) != (INTERRUPTED, 0) or held != expected:
            print(
                f"unexpected: exit statuses {first}, {second}; {len(held)} of {len(expected)} objects match"
            )
            return 1
    print("nightly backup example verified")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Back FOLDER up into a bucket, continuing an interrupted run."
    )
    parser.add_argument("folder", nargs="?", type=Path, help="the folder to back up (none: an offline demo)")
    parser.add_argument("--bucket", help="the bucket (it must exist)")
    parser.add_argument("--prefix", default="backup", help="where in the bucket (default backup)")
    parser.add_argument("--urgent", type=Path, help="a file or folder to send on the High lane meanwhile")
    parser.add_argument("--state", type=Path, help="the state folder (default: FOLDER.backup-state)")
    parser.add_argument("--profile", default="default", help="the profile of the bucket's settings")
    parser.add_argument("--rate", type=float, help="bytes per second for both transfers together")
    args = parser.parse_args()
    if args.folder is None:
        return offline_demo()
    if not args.bucket:
        parser.error("--bucket is required with FOLDER")
    stop_on_sigterm()
    folder = args.folder.resolve()
    state = args.state or folder.with_name(folder.name + ".backup-state")
    urgent = args.urgent.resolve() if args.urgent is not None else None
    address = f"s3://{args.bucket}/{args.prefix}"
    return run_night(state, {}, address, folder, urgent, profile=args.profile, rate=args.rate)


if __name__ == "__main__":
    sys.exit(main())
