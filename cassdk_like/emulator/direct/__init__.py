"""The emulator's DirectIO portal: metadata, access keys, publishing (docs/directio-protocol.md §7)."""

from __future__ import annotations

from cassdk_like.emulator.direct.keys import AccessKey
from cassdk_like.emulator.direct.publish import BLOCKS_BUCKET, CODEC_NAMES, DEFAULT_BLOCK_SIZE
from cassdk_like.emulator.direct.service import GRANT_PARAM, DirectService

__all__ = ["BLOCKS_BUCKET", "CODEC_NAMES", "DEFAULT_BLOCK_SIZE", "GRANT_PARAM", "AccessKey", "DirectService"]
