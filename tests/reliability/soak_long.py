"""The longer fault soak, outside CI: more transfers, larger files, the same checks.

    python -m tests.reliability.soak_long                       # 300 pairs = 600 transfers, 0.5-256 MiB
    python -m tests.reliability.soak_long --pairs 1000 --max-mib 1024 --seed 7 --out soak.json
    python -m tests.reliability.soak_long --service bucket      # objects, S3 and COS, the same sizes

Run it from the repository's top folder (it imports ``tests.reliability``).  It starts its own
emulator (state in a temporary folder, or ``--data-dir``), runs ``soak_world.Soak`` (vaults) or
``bucket_soak_world.BucketSoak`` (``--service bucket``) and prints the summary line; ``--out``
also writes the figures as JSON.  Exit status 0 when every transfer kept every promise, 1 (with
the transfer and the broken promise) otherwise.  Disk use stays near twice the largest file plus
the emulator's copy of one object: each pair's files are deleted after it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Union

import attrs

from cassdk_like.emulator import Emulator
from tests.reliability import bucket_soak_world, soak_world
from tests.reliability.soak_common import MiB, SoakFailure
from tests.reliability.soak_world import SoakSettings, write_summary

Settings = Union[SoakSettings, bucket_soak_world.BucketSoakSettings]


def build_parser() -> argparse.ArgumentParser:
    defaults = SoakSettings()
    parser = argparse.ArgumentParser(
        prog="python -m tests.reliability.soak_long",
        description="Long fault soak against the bundled emulator (uploads + verified downloads).",
    )
    parser.add_argument(
        "--service", choices=("vault", "bucket"), default="vault", help="what to soak (default vault)"
    )
    parser.add_argument("--pairs", type=int, default=300, help="upload+download pairs (default 300)")
    parser.add_argument("--min-mib", type=float, default=0.5, help="smallest file in MiB (default 0.5)")
    parser.add_argument("--max-mib", type=float, default=256.0, help="largest file in MiB (default 256)")
    parser.add_argument(
        "--seed", type=int, default=defaults.seed, help=f"plan seed (default {defaults.seed})"
    )
    parser.add_argument(
        "--fail-rate", type=float, default=defaults.fail_rate, help="share of failed requests (default 0.10)"
    )
    parser.add_argument(
        "--cut-rate",
        type=float,
        default=defaults.cut_rate,
        help="share of cut response bodies (job output or Get Object; default 0.05)",
    )
    parser.add_argument(
        "--max-units", type=int, default=32, help="most parts/pieces per vault transfer (default 32)"
    )
    parser.add_argument(
        "--workdir", type=Path, default=None, help="folder for the files (default: temporary)"
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="emulator state (default: temporary)")
    parser.add_argument("--out", type=Path, default=None, help="write the figures here as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    if args.pairs < 1 or not 0 < args.min_mib <= args.max_mib or args.max_units < 1:
        raise SystemExit("need --pairs >= 1, 0 < --min-mib <= --max-mib and --max-units >= 1")
    if not (0 <= args.fail_rate < 1 and 0 <= args.cut_rate < 1):
        raise SystemExit("--fail-rate and --cut-rate are shares in [0, 1)")
    common = {
        "pairs": args.pairs,
        "seed": args.seed,
        "min_size": int(args.min_mib * MiB),
        "max_size": int(args.max_mib * MiB),
        "fail_rate": args.fail_rate,
        "cut_rate": args.cut_rate,
    }
    if args.service == "bucket":
        return attrs.evolve(bucket_soak_world.BucketSoakSettings(), **common)
    return attrs.evolve(SoakSettings(), max_units=args.max_units, **common)


def _run(
    emu: Emulator, settings: Settings, workdir: Path, echo: Optional[Callable[[str], None]]
) -> Dict[str, Any]:
    if isinstance(settings, bucket_soak_world.BucketSoakSettings):
        return bucket_soak_world.run_bucket_soak(emu, settings, workdir, echo)
    return soak_world.run_soak(emu, settings, workdir, echo)


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    settings = settings_from(args)
    echo = None if args.quiet else (lambda line: print(line, flush=True))
    with tempfile.TemporaryDirectory(prefix="cassdk-soak-") as scratch:
        workdir = args.workdir or Path(scratch)
        print(
            f"long fault soak ({args.service}): {settings.pairs} pairs, {args.min_mib}-{args.max_mib} MiB,"
            f" seed {settings.seed}, files in {workdir}",
            flush=True,
        )
        with Emulator(data_dir=args.data_dir, job_delay_scale=0, region=bucket_soak_world.COS_REGION) as emu:
            try:
                summary = _run(emu, settings, workdir, echo)
            except SoakFailure as failure:
                print(f"FAILED: {failure}", file=sys.stderr)
                return 1
    line = bucket_soak_world.summary_line if args.service == "bucket" else soak_world.summary_line
    print(line(summary))
    if args.out is not None:
        write_summary(args.out, summary)
        print(f"figures written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
