"""cassdk_like: a synchronous SDK for cloud archive storage."""

import logging

from cassdk_like._version import __version__

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["__version__"]
