"""Whether a download may write to a local path, decided before anything is fetched.

A download writes a partial file next to the destination and renames it over the destination at
the end. That is right for a regular file or a path that does not exist yet, and wrong for
everything else: renaming over a device node, FIFO or socket (or a symlink to one) replaces the
node with a regular file, and an empty path or a missing parent folder would only fail after the
whole output was fetched, leaving the partial file behind.
"""

from __future__ import annotations

import os
import stat
from typing import Any

from cassdk_like.core.exceptions import LocalFileError

__all__ = ["check_destination"]


def check_destination(path: Any, *, operation: str, resource: str) -> str:
    """The destination as a ``str``, or ``LocalFileError`` naming operation, resource and path.

    Accepted: an absent path, or a regular file (also through a symlink), in an existing folder.
    """
    given = path
    if isinstance(given, os.PathLike):
        given = os.fspath(given)
    if not isinstance(given, str):
        raise LocalFileError(
            f"the destination must be a path (str or os.PathLike), not {type(path).__name__}",
            operation=operation,
            resource=resource,
        )

    def refuse(reason: str) -> LocalFileError:
        return LocalFileError(reason, operation=operation, resource=resource, local_path=given)

    if not given:
        raise refuse("the destination path is empty")
    folder = os.path.dirname(os.path.abspath(given))
    try:
        folder_mode = os.stat(folder).st_mode
    except FileNotFoundError:
        raise refuse("the destination's folder does not exist") from None
    except OSError as exc:
        raise refuse(f"cannot use the destination's folder: {exc.strerror or exc}") from exc
    if not stat.S_ISDIR(folder_mode):
        raise refuse("the destination's folder is not a folder")
    try:
        mode = os.stat(given).st_mode  # follows symlinks: a link to a device is a device
    except FileNotFoundError:
        return given  # absent (or a dangling symlink, which the finished file replaces)
    except OSError as exc:
        raise refuse(f"cannot use the destination: {exc.strerror or exc}") from exc
    if stat.S_ISDIR(mode):
        raise refuse("the destination is a folder")
    if not stat.S_ISREG(mode):
        raise refuse(f"the destination is not a regular file (it is a {_kind(mode)})")
    return given


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"
