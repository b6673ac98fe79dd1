"""The slot through which ``Bucket.create_par`` reaches the PAR package (docs/par.md §1).

``cassdk_like.par`` builds on the bucket facade, so the bucket package may not import it back, not
even lazily (tests/unit/test_layering.py). The dependency is inverted instead: importing
``cassdk_like.par`` (which ``import cassdk_like`` does) registers its factory here, and
``Bucket.create_par`` calls whatever is registered.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Optional

from cassdk_like.core.exceptions import CASClientError

__all__ = ["PARFactory", "PARUnavailableError", "par_factory", "register_par_factory"]

#: ``factory(bucket, key, **options)`` -> a PAR (``cassdk_like.par.create_par`` has this shape)
PARFactory = Callable[..., Any]

_lock = threading.Lock()
_factory: Optional[PARFactory] = None


class PARUnavailableError(CASClientError):
    """``Bucket.create_par`` was called while no PAR factory is registered (``cassdk_like.par``
    not imported, or its factory removed)."""


def register_par_factory(factory: Optional[PARFactory]) -> Optional[PARFactory]:
    """Install ``factory`` for ``Bucket.create_par`` (None removes it); returns the one it replaced."""
    global _factory
    if factory is not None and not callable(factory):
        raise TypeError(f"a PAR factory must be callable, got {type(factory).__name__}")
    with _lock:
        previous, _factory = _factory, factory
    return previous


def par_factory(operation: str, resource: str) -> PARFactory:
    """The registered factory, or ``PARUnavailableError`` naming the operation and resource."""
    factory = _factory
    if factory is None:
        raise PARUnavailableError(
            "no PAR factory is registered: import cassdk_like.par (import cassdk_like does)",
            operation=operation,
            resource=resource,
        )
    return factory
