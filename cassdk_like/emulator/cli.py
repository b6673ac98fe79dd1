"""The ``serve`` command: run an emulator in the foreground and print how to reach it.

``cascmd serve`` calls :func:`serve_main`; so does ``python -m cassdk_like.emulator``. The printed
secret key is a local test credential: showing it is the point.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import List, Optional, Sequence, TextIO

from cassdk_like.emulator.server import Emulator

__all__ = ["build_parser", "serve_main"]


def build_parser(prog: str = "cascmd serve") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Run a local CAS emulator (both dialects).")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8383, help="port to bind; 0 picks a free one (default 8383)"
    )
    parser.add_argument(
        "--data-dir", default=None, help="keep state here across restarts (default: temporary)"
    )
    parser.add_argument(
        "--job-delay-scale",
        type=float,
        default=1.0,
        help="multiply job delays (Expedited 1 s, Standard 5 s, Bulk 10 s); 0 finishes jobs at once",
    )
    parser.add_argument("--appid", default=None, help="account id (default: generated, kept in --data-dir)")
    parser.add_argument("--secret-id", default=None, help="access key id (default: generated)")
    parser.add_argument("--secret-key", default=None, help="secret key (default: generated)")
    parser.add_argument(
        "--max-vaults", type=int, default=1000, help="vault limit (default 1000, as the service)"
    )
    return parser


def describe(emu: Emulator) -> List[str]:
    """The lines printed at start-up: endpoint and credentials to use."""
    return [
        f"CAS emulator listening on {emu.endpoint}",
        f"  appid       {emu.appid}",
        f"  secret id   {emu.secret_id}",
        f"  secret key  {emu.secret_key}",
        f"  data dir    {emu.data_dir}",
        f"  cas paths   {emu.endpoint}/{emu.appid}/vaults  (or /-/vaults)",
        f"  glacier     SigV4 service 'glacier', region {emu.settings.glacier_region},"
        f" {emu.endpoint}/-/vaults",
        f"  admin       {emu.endpoint}/_emulator/stats, /_emulator/faults",
        "Press Ctrl-C to stop.",
    ]


def _start(args: argparse.Namespace) -> Optional[Emulator]:
    """The running emulator, or None after printing why it could not start (port taken, dir in use)."""
    try:
        emu = Emulator(
            data_dir=args.data_dir,
            host=args.host,
            port=args.port,
            job_delay_scale=args.job_delay_scale,
            appid=args.appid,
            secret_id=args.secret_id,
            secret_key=args.secret_key,
            max_vaults=args.max_vaults,
        )
    except (OSError, RuntimeError) as exc:
        print(f"cannot start the emulator: {exc}", file=sys.stderr)
        return None
    try:
        return emu.start()
    except OSError as exc:
        emu.stop()
        print(f"cannot start the emulator on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return None


def serve_main(
    argv: Optional[Sequence[str]] = None,
    *,
    out: Optional[TextIO] = None,
    stop: Optional[threading.Event] = None,
) -> int:
    """Run until Ctrl-C (or SIGTERM, or ``stop`` being set); returns the exit status."""
    args = build_parser().parse_args(argv)
    out = out or sys.stdout
    if (args.secret_id is None) != (args.secret_key is None):
        print("give both --secret-id and --secret-key, or neither", file=sys.stderr)
        return 2
    stop = stop or threading.Event()
    emu = _start(args)
    if emu is None:
        return 1
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        for line in describe(emu):
            print(line, file=out)
        out.flush()
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        print("stopping", file=out)
    finally:
        emu.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 0
