"""Running ``cascmd`` as a user would: in process with captured streams, or as a child process.

The connection comes from the environment, as after pasting the exports of ``cascmd serve``;
``HOME`` points into the test's directory so no real ``~/.cascmd_credentials`` is read.
"""

from __future__ import annotations

import io
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import attrs
import pytest

from cassdk_like.cli.main import main
from cassdk_like.emulator import Emulator

__all__ = [
    "ROOT",
    "Ran",
    "cascmd_env",
    "connect_in_process",
    "emulator_exports",
    "run_cascmd",
    "run_cascmd_process",
    "run_printed",
]

ROOT = Path(__file__).resolve().parents[2]


@attrs.frozen
class Ran:
    status: int
    out: str
    err: str

    @property
    def text(self) -> str:
        """The result on stdout, stripped."""
        return self.out.strip()


def cascmd_env(emu: Optional[Emulator], home: Path, **extra: str) -> Dict[str, str]:
    """A child environment: this checkout first on the path, the emulator's settings, a fresh HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAS_", "AWS_", "CASSDK_"))}
    env.update(PYTHONPATH=str(ROOT), HOME=str(home), CASSDK_CONFIG=str(home / "no-such-config"))
    if emu is not None:
        env.update(
            CAS_ENDPOINT=emu.endpoint, CAS_APPID=emu.appid, CAS_SECRET_ID=emu.secret_id,
            CAS_SECRET_KEY=emu.secret_key,
        )  # fmt: skip
    env.update(extra)
    return env


def emulator_exports(emu: Emulator) -> Dict[str, str]:
    """The variables ``cascmd serve`` tells a user to export for ``emu``, by name."""
    from cassdk_like.emulator.cli import describe

    found = {}
    for line in describe(emu):
        if line.startswith("export "):
            name, _, value = line[len("export ") :].partition("=")
            found[name] = shlex.split(value)[0]
    return found


def connect_in_process(monkeypatch: pytest.MonkeyPatch, emu: Emulator, home: Path) -> None:
    """The environment of ``cascmd_env`` for in-process runs: the emulator's settings, a fresh HOME."""
    for name, value in cascmd_env(emu, home).items():
        if name.startswith(("CAS_", "CASSDK_")) or name == "HOME":
            monkeypatch.setenv(name, value)


def run_cascmd(*argv: str) -> Ran:
    """``main(argv)`` with stdout and stderr captured (the caller sets the environment)."""
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return Ran(status, out.getvalue(), err.getvalue())


def run_printed(command: str) -> Ran:
    """Run a command line that cascmd printed (``cascmd ...``), exactly as a shell would split it."""
    words: List[str] = shlex.split(command)
    assert words[0] == "cascmd", command
    return run_cascmd(*words[1:])


def run_cascmd_process(
    argv: Sequence[str], env: Dict[str, str], *, timeout: float = 120, stdin: Optional[int] = None
) -> subprocess.CompletedProcess[bytes]:
    """The installed-style entry point in a child process; bytes, so binary stdout survives."""
    command = [sys.executable, "-c", "import sys; from cassdk_like.cli.main import main; sys.exit(main())"]
    return subprocess.run(
        [*command, *argv], capture_output=True, env=env, timeout=timeout, check=False, stdin=stdin
    )
