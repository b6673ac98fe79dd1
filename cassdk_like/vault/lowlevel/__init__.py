"""Low level: ``CASClient``, one method per HTTP operation, returning raw responses."""

from cassdk_like.vault.lowlevel.client import CASClient

__all__ = ["CASClient"]
