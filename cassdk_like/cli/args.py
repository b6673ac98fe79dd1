"""What cascmd's arguments mean: ``cas://`` vault names, sizes with units, and usage mistakes.

Also rebuilds the command a user should type next (to resume or abort an upload): the same
connection flags they gave, never a secret.
"""

from __future__ import annotations

import argparse
import re
import shlex
from typing import List, Optional, Sequence

from cassdk_like.core.integrity import MiB

__all__ = ["CommandFailed", "UsageError", "command_line", "parse_size", "refuse", "vault_name"]

_UNITS = {"": 1, "B": 1, "K": 1024, "M": MiB, "G": 1024 * MiB, "T": 1024 * 1024 * MiB, "P": 1024**3 * MiB}
_SIZE = re.compile(r"^\s*(\d+)\s*([KMGTP]?)(?:I?B)?\s*$", re.IGNORECASE)
SCHEME = "cas://"


class UsageError(Exception):
    """A command line that cannot mean anything (exit status 2, like argparse's own errors)."""


def vault_name(text: str) -> str:
    """``cas://VAULT`` (the original cascmd's form) or a bare ``VAULT``."""
    name = text[len(SCHEME) :] if text.lower().startswith(SCHEME) else text
    name = name.rstrip("/")
    if not name or "/" in name:
        raise argparse.ArgumentTypeError(f"expected VAULT or cas://VAULT, got {text!r}")
    return name


def parse_size(text: str) -> int:
    """Bytes, or a number with a binary unit: ``16M``, ``16MiB``, ``1G`` (K, M, G, T, P = 1024^n)."""
    match = _SIZE.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"expected a size such as 1048576, 16M or 1G, got {text!r}")
    return int(match.group(1)) * _UNITS[match.group(2).upper()]


def refuse(args: argparse.Namespace, why: str, *flags: str) -> None:
    """Raise ``UsageError`` when any of ``flags`` (their dest names) was given: they do not apply."""
    given = [
        flag for flag in flags if getattr(args, flag.lstrip("-").replace("-", "_"), None) not in (None, False)
    ]
    if given:
        raise UsageError(f"{', '.join(given)} {'does' if len(given) == 1 else 'do'} not apply {why}")


_SHOWN = ("endpoint", "appid", "dialect", "region")


def command_line(args: argparse.Namespace, command: str, *words: str, options: Sequence[str] = ()) -> str:
    """``cascmd COMMAND [options] [connection flags] -- WORDS``, quoted for a POSIX shell.

    Connection flags are repeated as given (so the command reaches the same service), except
    the secret ones; ``--`` keeps ids that begin with ``-`` from being read as options.
    """
    parts: List[str] = ["cascmd", command, *options]
    for name in _SHOWN:
        value: Optional[str] = getattr(args, name, None)
        if value:
            parts.append(f"--{name}={value}")
    profile = getattr(args, "profile", "default")
    if profile and profile != "default":
        parts.append(f"--profile={profile}")
    parts.append("--")
    parts.extend(words)
    return " ".join(shlex.quote(part) for part in parts)


class CommandFailed(Exception):
    """A failure the command explains itself (exit status 1); the message says what to do next."""
