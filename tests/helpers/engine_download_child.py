"""Child process for the kill -9 resume test.

``python -m tests.helpers.engine_download_child URL SIZE DEST HASH``; the source identity is
``IDENTITY`` so that a parent can resume from another server address.

Downloads with small pieces and a journal commit after every piece, so the parent can SIGKILL it
as soon as the journal names a finished piece.
"""

from __future__ import annotations

import sys

from cassdk_like.core.integrity import MiB
from cassdk_like.engine import TransferConfig, download_to_path
from tests.helpers.http_source import HttpRangeSource

IDENTITY = "it/kill-9-job"
CONFIG = TransferConfig(max_workers=2, piece_size=MiB, journal_interval=0, poll_interval=0.05)


def main() -> None:
    url, size, dest, expected = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    source = HttpRangeSource(url, size, expected_tree_hash=expected, identity=IDENTITY)
    download_to_path(source, dest, config=CONFIG)


if __name__ == "__main__":
    main()
