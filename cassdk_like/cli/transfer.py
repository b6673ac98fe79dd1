"""``cascmd transfer ...``: the transfer manager from the shell (docs/cascmd.md §7).

Every command opens a ``TransferManager`` on the state folder (``--state-dir``, else
``$CASSDK_TRANSFER_STATE``, else the profile's ``transfer_state_dir``, else
``~/.cassdk/transfers``). ``create`` and ``run`` start it and so become the folder's runner; the
other commands open it without starting, as controllers, so they work while a runner sends
(docs/transfer.md §5). Destinations are reached with the settings of ``--profile`` (the profile
file and the environment, as every SDK client reads them); only the profile's name is stored.
Ctrl-C during ``create`` or ``run`` suspends what is running, drains the files in flight and says
how to go on.
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import re
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, TextIO

from cassdk_like.cli.args import CommandFailed
from cassdk_like.cli.console import Console, console_of
from cassdk_like.cli.output import add_output_option, description, human_size, listing
from cassdk_like.core.config import load_profile
from cassdk_like.core.exceptions import LocalFileError
from cassdk_like.transfer import (
    OVERWRITE_ALWAYS,
    OVERWRITE_DIFFERENT,
    OVERWRITE_NEVER,
    TransferInfo,
    TransferManager,
    TransferStateError,
    TransferSuspendedError,
    parse_address,
)
from cassdk_like.transfer.errors import InvalidDestinationError

__all__ = [
    "DEFAULT_STATE_DIR",
    "EXIT_SUSPENDED",
    "EXIT_TIMEOUT",
    "STATE_ENV",
    "add_transfer_commands",
    "parse_rate",
    "state_dir",
]

_Handler = Callable[[argparse.Namespace, TextIO], int]

#: where transfers are kept when neither ``--state-dir``, the environment nor the profile says
DEFAULT_STATE_DIR = Path("~/.cassdk/transfers")
#: the environment variable naming the state folder
STATE_ENV = "CASSDK_TRANSFER_STATE"
#: the profile key naming the state folder
STATE_PROFILE_KEY = "transfer_state_dir"
#: exit statuses of ``create``, ``run`` and ``wait`` beyond 0 (complete) and 1 (failed, error)
EXIT_SUSPENDED, EXIT_TIMEOUT, EXIT_INTERRUPTED = 3, 4, 130

_OVERWRITE = {"always": OVERWRITE_ALWAYS, "never": OVERWRITE_NEVER, "different": OVERWRITE_DIFFERENT}
_OVERWRITE_NAMES = {value: name for name, value in _OVERWRITE.items()}
_ACTIVE = ("queued", "transferring", "suspending")
_POLL = 0.2  # seconds between progress looks

_RATE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([A-Za-z]*)\s*(?:/\s*s(?:ec)?)?\s*$")
_PREFIX = {"": 1.0, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}
_BINARY = {"ki": 1024.0, "mi": 1024.0**2, "gi": 1024.0**3, "ti": 1024.0**4}


def parse_rate(text: str) -> Optional[float]:
    """Bytes per second from a human rate; None for ``unlimited`` (or ``-1``).

    Bytes: a plain number, ``B``, ``kB``/``KB``, ``MB``, ``GB`` (powers of 1000), ``KiB``, ``MiB``,
    ``GiB`` (powers of 1024). Bits: ``bit``, ``kbit``, ``Mbit``, ``Gbit``, also ``kb``, ``Mb``,
    ``kbps``, ``Mbps`` (powers of 1000). An optional ``/s`` may follow.
    """
    if text.strip().lower() in ("unlimited", "none", "-1"):
        return None
    found = _RATE.match(text)
    if found is None:
        raise argparse.ArgumentTypeError(f"expected a rate such as 10MB/s, 500kbit or 2MiB/s, got {text!r}")
    amount, unit = float(found.group(1)), found.group(2)
    scale = _unit_scale(unit)
    if scale is None:
        raise argparse.ArgumentTypeError(
            f"unknown rate unit {unit!r} in {text!r}: use B, kB, MB, MiB, kbit, Mbit"
        )
    rate = amount * scale
    if rate <= 0:
        raise argparse.ArgumentTypeError(f"a rate must be above zero (or 'unlimited'), got {text!r}")
    return rate


def _unit_scale(unit: str) -> Optional[float]:
    """Bytes per unit, None for a unit this does not know."""
    lower = unit.lower()
    for suffix in ("bits", "bit", "bps"):
        if lower.endswith(suffix):
            prefix = lower[: -len(suffix)]
            return _PREFIX[prefix] / 8 if prefix in _PREFIX else None
    if len(unit) >= 2 and lower[-2:] == "ib":  # KiB, MiB, ...
        return _BINARY.get(lower[:-1])
    if unit.endswith("b") and unit[:-1].lower() in _PREFIX and unit[:-1]:  # kb, Mb: bits
        return _PREFIX[unit[:-1].lower()] / 8
    stem = unit[:-1] if unit.endswith("B") else unit
    return _PREFIX.get(stem.lower())


def _rate_type(text: str) -> float:
    """``--rate``: bytes/s, or -1 (the manager's "no cap of its own") for ``unlimited``."""
    rate = parse_rate(text)
    return -1.0 if rate is None else rate


def _address_type(text: str) -> str:
    """A destination address, checked before anything is opened or stored."""
    try:
        return str(parse_address(text, operation="transfer create"))
    except InvalidDestinationError as exc:
        raise argparse.ArgumentTypeError(exc.reason or str(exc)) from None


def _transfer_id(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(
            f"a transfer id is a number (see cascmd transfer list), got {text!r}"
        )
    return int(text)


def state_dir(args: argparse.Namespace) -> Path:
    """``--state-dir``, else ``$CASSDK_TRANSFER_STATE``, else the profile's ``transfer_state_dir``,
    else ``~/.cassdk/transfers``."""
    chosen = (
        args.state_dir
        or os.environ.get(STATE_ENV)
        or load_profile(args.profile).get(STATE_PROFILE_KEY)
        or str(DEFAULT_STATE_DIR)
    )
    return Path(chosen).expanduser()


def _manager(args: argparse.Namespace, *, workers: int = 4) -> TransferManager:
    """A manager on the state folder that does not run it (yet)."""
    return TransferManager(state_dir(args), max_workers=workers, start=False)


# -- what is printed --------------------------------------------------------------------------------


def _when(stamp: Optional[float]) -> Optional[str]:
    if stamp is None:
        return None
    return datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc).isoformat(timespec="seconds")


def _doc(info: TransferInfo, address: str) -> Dict[str, Any]:
    """One transfer as cascmd shows it (bytes and bytes/s; times in UTC)."""
    return {
        "id": info.id,
        "status": info.status,
        "error": info.error,
        "destination": address,
        "destination_path": info.destination_path or None,
        "lane": info.priority_lane,
        "priority": info.priority,
        "rate": info.send_rate_max,
        "checkpoint_seconds": info.checkpoint_seconds,
        "overwrite": _OVERWRITE_NAMES.get(info.overwrite_mode, str(info.overwrite_mode)),
        "files_total": info.file_count,
        "files_done": info.files_done,
        "files_skipped": info.files_skipped,
        "bytes_total": info.bytes_total,
        "bytes_done": info.bytes_done,
        "created": _when(info.created),
        "updated": _when(info.updated),
        "last_checkpoint": _when(info.checkpointed),
    }


def _progress(info: TransferInfo) -> str:
    files = info.files_done + info.files_skipped
    return f"{files}/{info.file_count} files, {human_size(info.bytes_done)} of {human_size(info.bytes_total)}"


def _rate_text(rate: Optional[float]) -> str:
    """Bytes/s in the decimal units ``--rate`` takes (``10.0 MB/s``)."""
    if rate is None:
        return "unlimited"
    units = ("B", "kB", "MB", "GB", "TB")
    amount, step = float(rate), 0
    while amount >= 1000 and step < len(units) - 1:
        amount, step = amount / 1000, step + 1
    return f"{amount:.0f} B/s" if step == 0 else f"{amount:.1f} {units[step]}/s"


class _ProgressLine:
    """One line on stderr about the transfers running: rewritten in place on a terminal, else
    printed when it changed, at most every few seconds (logs stay short). Silent with --quiet."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.tty = bool(getattr(console.err, "isatty", lambda: False)()) and not console.quiet
        self._last = ""
        self._printed = 0.0

    def show(self, infos: Sequence[TransferInfo]) -> None:
        if self.console.quiet or not infos:
            return
        text = "; ".join(f"transfer {i.id} {i.status}: {_progress(i)}" for i in infos)
        now = time.monotonic()
        if self.tty:
            self.console.err.write("\r" + text[:200].ljust(len(self._last)))
            self.console.err.flush()
        elif text != self._last and now - self._printed >= 2.0:
            self.console.note(text)
            self._printed = now
        self._last = text

    def end(self) -> None:
        if self.tty and self._last:
            self.console.err.write("\n")
            self.console.err.flush()
            self._last = ""


def _watch(
    manager: TransferManager, wanted: List[int], line: _ProgressLine, *, follow: bool
) -> List[TransferInfo]:
    """Show progress until none of ``wanted`` is queued, transferring or suspending; their last
    state. ``follow``: also watch transfers that become active meanwhile (``wanted`` grows)."""
    while True:
        if follow:
            wanted.extend(
                info.id
                for info in manager.get_transfers()
                if info.status in _ACTIVE and info.id not in wanted
            )
        infos = [manager.get_transfer(ident) for ident in wanted]
        line.show(infos)
        if all(info.status not in _ACTIVE for info in infos):
            line.end()
            return infos
        time.sleep(_POLL)


def _suspend_all(manager: TransferManager, ids: Iterable[int], console: Console) -> List[int]:
    """Ctrl-C: suspend each of ``ids`` still active, draining the files in flight."""
    suspended = []
    console.note("suspending: letting the files in flight finish (Ctrl-C again stops at once)")
    for ident in ids:
        try:
            manager.suspend_transfer(ident)
        except TransferStateError:  # finished meanwhile, or suspended elsewhere
            continue
        suspended.append(ident)
    return suspended


def _report(out: TextIO, infos: Sequence[TransferInfo]) -> int:
    """A line per transfer on stdout; the exit status of the worst outcome."""
    status = 0
    for info in infos:
        tail = f": {info.error}" if info.error else ""
        print(f"{_line(info)}{tail}", file=out)
        if info.status == "failed":
            status = 1
        elif info.status == "suspended" and status == 0:
            status = EXIT_SUSPENDED
    return status


def _run_in_foreground(
    args: argparse.Namespace, manager: TransferManager, ids: Optional[List[int]], out: TextIO
) -> int:
    """Run the folder (or, when another process runs it, follow it) until ``ids`` (None: every
    active transfer) are done; Ctrl-C suspends them."""
    console = console_of(args)
    follow = ids is None
    if ids is None:  # looked up first: started, the manager may finish a small one at once
        ids = [info.id for info in manager.get_transfers() if info.status in _ACTIVE]
    if not ids:
        console.note(f"nothing to run in {manager.state_dir} (no queued transfer)")
        return 0
    try:
        manager.start()
        runner = True
    except TransferStateError:
        runner = False
        console.note(f"another manager (pid {manager.runner_pid()}) runs this state folder: following it")
    line = _ProgressLine(console)
    try:
        infos = _watch(manager, ids, line, follow=follow)
    except KeyboardInterrupt:
        line.end()
        try:
            held = _suspend_all(manager, ids, console)
        except KeyboardInterrupt:  # the second Ctrl-C: files in flight stop now and stay pending
            manager.close(cancel=True)
            raise
        if held:
            words = " ".join(str(ident) for ident in held)
            console.warn(
                f"suspended transfer(s) {words} at their last checkpoint; to go on run: "
                f"cascmd transfer resume {words}{_state_flag(args)} && cascmd transfer run{_state_flag(args)}"
            )
        return EXIT_INTERRUPTED
    if not runner:
        console.note("the other manager keeps running this state folder")
    return _report(out, infos)


def _state_flag(args: argparse.Namespace) -> str:
    return f" --state-dir {args.state_dir}" if args.state_dir else ""


# -- the commands ---------------------------------------------------------------------------------------


def cmd_create(args: argparse.Namespace, out: TextIO) -> int:
    """Record a transfer of SOURCE (a folder's contents, or one file) to DEST, then run it."""
    source = os.path.abspath(args.source)
    if not os.path.exists(source):
        raise LocalFileError("no such file or folder to send", operation="transfer create", local_path=source)
    mapping = {"/": source} if os.path.isdir(source) else {os.path.basename(source): source}
    manager = _manager(args, workers=args.workers)
    try:
        known = {info.id for info in manager.get_destinations()}
        dest = manager.create_destination(args.dest, profile=args.profile)
        manifest = manager.create_manifest(mapping)
        try:
            info = manager.create_transfer(
                dest.id,
                manifest.id,
                destination_path=args.path,
                priority=args.priority,
                priority_lane=args.lane,
                send_rate_max=args.rate,
                checkpoint_seconds=args.checkpoint,
                overwrite_mode=_OVERWRITE[args.overwrite] if args.overwrite else None,
            )
        except BaseException:  # a refused setting leaves no destination or manifest behind
            manager.delete_manifest(manifest.id)
            if dest.id not in known:
                manager.delete_destination(dest.id)
            raise
        manager.delete_manifest(manifest.id)  # the transfer holds its own copy of the list
        print(info.id, file=out, flush=True)
        console = console_of(args)
        console.note(
            f"transfer {info.id}: {_progress(info)} to {dest.address} "
            f"(lane {info.priority_lane}, priority {info.priority}, rate {_rate_text(info.send_rate_max)})"
        )
        if args.detach:
            console.note(_who_sends(manager, info.id, args))
            return 0
        return _run_in_foreground(args, manager, [info.id], io.StringIO())  # stdout holds the id alone
    finally:
        manager.close()


def _who_sends(manager: TransferManager, ident: int, args: argparse.Namespace) -> str:
    pid = manager.runner_pid()
    if pid is not None:
        return f"the manager running this state folder (pid {pid}) sends transfer {ident}"
    return f"recorded transfer {ident}; to send it run: cascmd transfer run{_state_flag(args)}"


def cmd_run(args: argparse.Namespace, out: TextIO) -> int:
    """Run every queued transfer of the state folder in the foreground until each has ended."""
    with _manager(args, workers=args.workers) as manager:
        return _run_in_foreground(args, manager, None, out)


def cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    """Every transfer of the state folder, as the store has it (progress as of the last checkpoint)."""
    with _manager(args) as manager:
        addresses = {dest.id: dest.address for dest in manager.get_destinations()}
        docs = [_doc(info, addresses.get(info.destination_id, "-")) for info in manager.get_transfers()]
    if args.output == "json":
        listing(out, "json", [], docs)
        return 0
    rows = [
        {
            **doc,
            "files": f"{doc['files_done'] + doc['files_skipped']}/{doc['files_total']}",
            "bytes": f"{human_size(doc['bytes_done'])}/{human_size(doc['bytes_total'])}",
            "rate_shown": None if doc["rate"] is None else _rate_text(doc["rate"]),
        }
        for doc in docs
    ]
    columns = [("ID", "id"), ("STATUS", "status"), ("LANE", "lane"), ("PRIORITY", "priority")]
    columns += [
        ("FILES", "files"),
        ("BYTES", "bytes"),
        ("RATE", "rate_shown"),
        ("DESTINATION", "destination"),
    ]
    listing(out, "table", columns, rows)
    return 0


def cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    """One transfer's settings and progress; a FIELD/VALUE table or the JSON document."""
    with _manager(args) as manager:
        info = manager.get_transfer(args.id)
        address = manager.get_destination(info.destination_id).address
    doc = _doc(info, address)
    if args.output == "table":
        doc = {key: value for key, value in doc.items() if value is not None}
    description(out, args.output, doc, sizes=("bytes_total", "bytes_done"))
    return 0


def _line(info: TransferInfo) -> str:
    """``transfer 7 suspended (12/40 files, 96.0 KiB of 320.0 KiB)``: what a command ends with."""
    return f"transfer {info.id} {info.status} ({_progress(info)})"


def cmd_suspend(args: argparse.Namespace, out: TextIO) -> int:
    """Suspend a queued or running transfer; waits while its runner drains the files in flight."""
    with _manager(args) as manager:
        print(_line(manager.suspend_transfer(args.id)), file=out)
    return 0


def cmd_resume(args: argparse.Namespace, out: TextIO) -> int:
    """Queue a suspended transfer again; the folder's runner (or the next ``run``) sends it."""
    with _manager(args) as manager:
        info = manager.resume_transfer(args.id)
        print(_line(info), file=out)
        console_of(args).note(_who_sends(manager, info.id, args))
    return 0


def cmd_wait(args: argparse.Namespace, out: TextIO) -> int:
    """Wait for a transfer: 0 complete, 1 failed, 3 suspended, 4 still going after --timeout."""
    console = console_of(args)
    with _manager(args) as manager:
        if manager.runner_pid() is None and manager.get_transfer(args.id).status in _ACTIVE:
            console.warn(
                f"no manager runs {manager.state_dir}; start one with: cascmd transfer run{_state_flag(args)}"
            )
        try:
            info = manager.wait_for_transfer(args.id, timeout=args.timeout)
        except TransferSuspendedError:
            print(_line(manager.get_transfer(args.id)), file=out)
            console.note(f"resume it with: cascmd transfer resume {args.id}{_state_flag(args)}")
            return EXIT_SUSPENDED
        except TransferStateError:
            if args.timeout is None:
                raise
            info = manager.get_transfer(args.id)
            print(_line(info), file=out)
            console.note(f"still {info.status} after {args.timeout:g} s")
            return EXIT_TIMEOUT
        except KeyboardInterrupt:
            console.note(f"stopped waiting; transfer {args.id} goes on where it runs")
            raise
    print(_line(info), file=out)
    return 0


def cmd_fail(args: argparse.Namespace, out: TextIO) -> int:
    """End a transfer as failed with ``--message``; its files in flight are cancelled."""
    with _manager(args) as manager:
        info = manager.fail_transfer(args.id, args.message)
    print(f"{_line(info)}: {info.error}", file=out)
    return 0


def cmd_delete(args: argparse.Namespace, out: TextIO) -> int:
    """Forget a transfer that is not running (what it sent stays at the destination)."""
    with _manager(args) as manager:
        info = manager.get_transfer(args.id)
        if info.status in _ACTIVE:
            raise CommandFailed(
                f"transfer {info.id} is {info.status}: suspend or fail it first "
                f"(cascmd transfer suspend {info.id}{_state_flag(args)})"
            )
        manager.delete_transfer(args.id)
    print(f"deleted transfer {info.id}", file=out)
    return 0


# -- the command line -----------------------------------------------------------------------------------


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group(
        "state and connection",
        f"The state folder is --state-dir, else ${STATE_ENV}, else the profile's {STATE_PROFILE_KEY}, "
        f"else {DEFAULT_STATE_DIR}. Destinations are reached with the settings of --profile (the "
        "profile file and the environment); only the profile's name is stored.",
    )
    group.add_argument("--state-dir", metavar="DIR", help="the folder holding the transfers' state")
    group.add_argument(
        "--profile", default="default", help="the profile of the destinations (default: default)"
    )
    shown = common.add_argument_group("output")
    shown.add_argument("-q", "--quiet", action="store_true", help="no progress or notes on stderr")
    return common


def add_transfer_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``cascmd transfer <command>``."""
    common = _common()
    group = sub.add_parser(
        "transfer",
        help="persistent, suspendable transfers of folders into buckets, vaults and folders "
        "(see: cascmd transfer --help)",
        description="Transfers kept in a state folder: created, run in the foreground, suspended "
        "and resumed, also from another shell while one runs (docs/cascmd.md §7).",
        epilog="example: cascmd transfer create ./photos s3://backups/photos --lane Low --rate 10MB/s",
    )
    commands = group.add_subparsers(dest="transfer_command", metavar="COMMAND")
    commands.required = True

    create = commands.add_parser(
        "create",
        parents=[common],
        help="record a transfer of a folder or file, then run it (Ctrl-C suspends)",
        epilog="example: cascmd transfer create ./site cos://web-1250000000/www --overwrite different",
    )
    create.add_argument("source", metavar="SOURCE", help="a local folder (its contents are sent) or file")
    create.add_argument(
        "dest",
        metavar="DEST",
        type=_address_type,
        help="s3://BUCKET/PREFIX, cos://NAME-APPID/PREFIX, cas://VAULT or file:///DIR",
    )
    create.add_argument("--path", help="a folder under DEST for every file")
    create.add_argument("--lane", help="the priority lane: High, Normal (default), Low or Idle")
    create.add_argument(
        "--priority", type=int, help="0 to 4294967295, lower first within a lane (default 100)"
    )
    create.add_argument(
        "--rate",
        type=_rate_type,
        metavar="RATE",
        help="the transfer's own cap: 10MB/s, 2MiB/s, 500kbit, unlimited",
    )
    create.add_argument(
        "--checkpoint", type=float, metavar="SECONDS", help="the longest time between checkpoints (default 1)"
    )
    create.add_argument("--overwrite", choices=sorted(_OVERWRITE), help="what to do with files DEST holds")
    create.add_argument("--workers", type=int, default=4, help="files sent at once (default 4)")
    create.add_argument("--detach", action="store_true", help="only record it: cascmd transfer run sends it")
    create.set_defaults(handler=cmd_create)

    run = commands.add_parser(
        "run",
        parents=[common],
        help="send every queued transfer of the state folder until done (Ctrl-C suspends)",
        epilog="example: cascmd transfer run --state-dir /var/lib/backups",
    )
    run.add_argument("--workers", type=int, default=4, help="files sent at once (default 4)")
    run.set_defaults(handler=cmd_run)

    def command(
        name: str, handler: _Handler, text: str, example: str, *, ident: bool = True
    ) -> argparse.ArgumentParser:
        cmd = commands.add_parser(
            name, parents=[common], help=text, epilog=f"example: cascmd transfer {example}"
        )
        if ident:
            cmd.add_argument(
                "id", type=_transfer_id, metavar="ID", help="the transfer id (cascmd transfer list)"
            )
        cmd.set_defaults(handler=handler)
        return cmd

    add_output_option(
        command("list", cmd_list, "every transfer with its progress", "list --output json", ident=False),
        "table",
    )
    add_output_option(command("show", cmd_show, "one transfer's settings and progress", "show 7"), "table")
    command("suspend", cmd_suspend, "suspend a transfer (its files in flight finish first)", "suspend 7")
    command("resume", cmd_resume, "queue a suspended transfer again", "resume 7")
    command("delete", cmd_delete, "forget a transfer that is not running", "delete 7")
    wait = command(
        "wait",
        cmd_wait,
        "wait for a transfer: exit 0 complete, 1 failed, 3 suspended, 4 timed out",
        "wait 7 --timeout 3600 || echo not done",
    )
    wait.add_argument("--timeout", type=float, metavar="SECONDS", help="give up after this long")
    fail = command("fail", cmd_fail, "end a transfer as failed", 'fail 7 --message "superseded by 9"')
    fail.add_argument("--message", help="the error the transfer keeps (default: failed by request)")
