"""Fill in what an error raised deeper down does not say: the operation, resource and local path.

The transfer engine and the value checks know neither the vault, bucket, job or object a transfer
belongs to, and argument checks do not know the local file; the high-level call does. Anything
already set is kept (the most specific label wins).
"""

from __future__ import annotations

import contextlib
import os
from typing import Any, Iterator, Optional

from cassdk_like.core.exceptions import CASError

__all__ = ["labelled", "source_label"]


@contextlib.contextmanager
def labelled(operation: str, resource: str, local_path: Optional[str] = None) -> Iterator[None]:
    """Within the block, a ``CASError`` missing its operation, resource or local path gets these."""
    try:
        yield
    except CASError as exc:
        if exc.operation is None:
            exc.operation = operation
        if exc.resource is None:
            exc.resource = resource
        if exc.local_path is None and local_path is not None:
            exc.local_path = local_path
        raise


def source_label(source: Any) -> Optional[str]:
    """The local path (or file object name) an error about ``source`` should name."""
    if isinstance(source, (str, os.PathLike)):
        return str(os.fspath(source))
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else None
