"""Low level: ``ReductClient``, one method per HTTP operation, raw responses (docs/reduct-client.md §1)."""

from cassdk_like.reduct.lowlevel.client import CLIENT_API_VERSION, ReductClient

__all__ = ["CLIENT_API_VERSION", "ReductClient"]
