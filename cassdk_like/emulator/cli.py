"""The ``serve`` command: run the emulator's services in the foreground and print how to reach them.

``cascmd serve`` calls :func:`serve_main`; so does ``python -m cassdk_like.emulator``. The first lines
name each service and its base URL (``service <name> <url>``); ``export`` lines follow, ready to paste
into a shell. The printed secret key is a local test credential: showing it is the point.

The CAS default port is 8390, not 8383: 8383 is ReductStore's well-known port, and the ReductStore
service takes it. S3 listens on 8391 and COS on 8392 unless ``--service-port`` says otherwise.
ReductStore runs without authentication unless ``--reduct-token`` (or ``RS_API_TOKEN``) gives the
value of its full-access ``init-token``; serve then exports it as ``REDUCT_API_TOKEN``.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
from typing import Dict, List, Optional, Sequence, TextIO

from cassdk_like.emulator.server import Emulator

__all__ = ["DEFAULT_CAS_PORT", "DEFAULT_PORTS", "build_parser", "describe", "serve_main"]

#: the port ``cascmd serve`` gives the CAS service unless told otherwise
DEFAULT_CAS_PORT = 8390
#: the ports of the other services unless ``--service-port NAME=PORT`` says otherwise
DEFAULT_PORTS = {"s3": 8391, "cos": 8392, "reduct": 8383, "direct": 8394}


def build_parser(prog: str = "cascmd serve") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run the local emulator: the CAS vault service (CAS and Glacier dialects), S3 and "
        "Tencent COS buckets and ReductStore, each service on its own port.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"the CAS port; 0 picks a free one (default {DEFAULT_CAS_PORT})",
    )
    parser.add_argument(
        "--service-port",
        action="append",
        default=[],
        metavar="NAME=PORT",
        type=_service_port,
        help="the port of one service (repeatable; cas=PORT is the same as --port PORT; defaults "
        f"s3={DEFAULT_PORTS['s3']}, cos={DEFAULT_PORTS['cos']}, reduct={DEFAULT_PORTS['reduct']},"
        f" direct={DEFAULT_PORTS['direct']};"
        " 0 picks a free one)",
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
    parser.add_argument(
        "--reduct-token",
        default=None,
        help="ReductStore init-token value (default: $RS_API_TOKEN; neither: authentication disabled)",
    )
    return parser


def _service_port(text: str) -> Dict[str, int]:
    name, sep, port = text.partition("=")
    if not sep or not name or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(f"expected NAME=PORT (e.g. cas=8390), got {text!r}")
    return {name: int(port)}


def describe(emu: Emulator) -> List[str]:
    """The lines printed at start-up: one per service, the account, and shell ``export`` lines."""
    quote = shlex.quote
    endpoints = emu.endpoints
    lines = [f"service {name} {url}" for name, url in endpoints.items()]
    lines += [
        f"  appid       {emu.appid}",
        f"  secret id   {emu.secret_id}",
        f"  secret key  {emu.secret_key}",
        f"  data dir    {emu.data_dir}",
        f"  cas paths   {emu.endpoint}/{emu.appid}/vaults  (or /-/vaults)",
        f"  glacier     SigV4 service 'glacier', region {emu.settings.glacier_region},"
        f" {emu.endpoint}/-/vaults",
    ]
    s3_url, cos_url, reduct_url = endpoints.get("s3"), endpoints.get("cos"), endpoints.get("reduct")
    if s3_url:
        lines.append(
            f"  s3          SigV4 service 's3', region {emu.s3_service.region},"
            f" path-style {s3_url}/<bucket>/<key> or Host <bucket>.localhost"
        )
    if cos_url:
        lines.append(
            f"  cos         q-sign, Host <bucket>-{emu.appid}.cos.{emu.cos_service.region}.myqcloud.com"
            f" sent to {cos_url}"
        )
    if reduct_url:
        auth = "token init-token (full access)" if emu.reduct_api_token is not None else "authentication off"
        lines.append(f"  reduct      ReductStore API 1.21 at {reduct_url}/api/v1, {auth}")
    direct_url = endpoints.get("direct")
    if direct_url:
        key_id = emu.direct.default_credentials.access_key_id
        lines.append(
            f"  direct      DirectIO portal at {direct_url}/directio/<file_id>, bearer {key_id}"
            f" (secret: {direct_url}/_emulator/direct/credentials)"
        )
    lines += [
        f"  admin       {emu.endpoint}/_emulator/info, /_emulator/stats, /_emulator/faults",
        "# paste into a shell (cascmd and cassdk_like.core.config read these):",
        f"export CAS_ENDPOINT={quote(emu.endpoint)}",
        f"export CAS_APPID={quote(emu.appid)}",
        f"export CAS_SECRET_ID={quote(emu.secret_id)}",
        f"export CAS_SECRET_KEY={quote(emu.secret_key)}",
        f"# Glacier dialect and S3 (SigV4, region {emu.settings.glacier_region}): these too,"
        " and CAS_DIALECT=glacier for cascmd",
        f"export AWS_ACCESS_KEY_ID={quote(emu.secret_id)}",
        f"export AWS_SECRET_ACCESS_KEY={quote(emu.secret_key)}",
    ]
    if s3_url:
        lines.append(f"export AWS_ENDPOINT_URL_S3={quote(s3_url)}")
    if cos_url:
        lines += [
            f"export COS_ENDPOINT={quote(cos_url)}",
            f"export COS_APPID={quote(emu.appid)}",
            f"export COS_REGION={quote(emu.cos_service.region)}",
            f"export COS_SECRET_ID={quote(emu.secret_id)}",
            f"export COS_SECRET_KEY={quote(emu.secret_key)}",
        ]
    if reduct_url:
        lines.append(f"export REDUCT_URL={quote(reduct_url)}")
        if emu.reduct_api_token is not None:
            lines.append(f"export REDUCT_API_TOKEN={quote(emu.reduct_api_token)}")
    if direct_url:
        pair = emu.direct.default_credentials
        lines += [
            f"export CTERA_DIRECTIO_URL={quote(direct_url)}",
            f"export CTERA_ACCESS_KEY_ID={quote(pair.access_key_id)}",
            f"export CTERA_SECRET_ACCESS_KEY={quote(pair.secret_access_key)}",
        ]
    lines.append("Press Ctrl-C to stop.")
    return lines


def _start(args: argparse.Namespace) -> Optional[Emulator]:
    """The running emulator, or None after printing why it could not start (port taken, dir in use)."""
    ports: Dict[str, int] = dict(DEFAULT_PORTS)
    for choice in args.service_port:
        ports.update(choice)
    port = ports.get("cas", DEFAULT_CAS_PORT) if args.port is None else args.port
    try:
        emu = Emulator(
            data_dir=args.data_dir,
            host=args.host,
            port=port,
            ports=ports,
            job_delay_scale=args.job_delay_scale,
            appid=args.appid,
            secret_id=args.secret_id,
            secret_key=args.secret_key,
            max_vaults=args.max_vaults,
            reduct_api_token=args.reduct_token,
        )
    except (OSError, RuntimeError, ValueError) as exc:
        print(f"cannot start the emulator: {exc}", file=sys.stderr)
        return None
    try:
        return emu.start()
    except (OSError, ValueError) as exc:
        emu.stop()
        print(f"cannot start the emulator on {args.host} (ports {ports or port}): {exc}", file=sys.stderr)
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
