"""DirectIO's high level: typed errors, values, block transfers over the engine."""

from cassdk_like.direct.highlevel.client import Client, Downloader
from cassdk_like.direct.highlevel.directio import DirectIO
from cassdk_like.direct.highlevel.source import FileBlocks
from cassdk_like.direct.highlevel.streamer import Streamer

__all__ = ["Client", "DirectIO", "Downloader", "FileBlocks", "Streamer"]
