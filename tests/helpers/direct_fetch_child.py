"""Child process for the DirectIO kill -9 test.

``python -m tests.helpers.direct_fetch_child URL KEY_ID FILE_ID DEST`` (the secret in the
environment, ``CTERA_SECRET_ACCESS_KEY``): writes the file with ``Streamer.to_file`` one block at a
time, so the parent can SIGKILL it while the temporary file is half written.
"""

from __future__ import annotations

import sys

from cassdk_like.direct import DirectIO


def main() -> None:
    url, key_id, file_id, dest = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    with DirectIO(url, key_id, max_workers=1, window=1) as dio:
        dio.streamer(file_id).to_file(dest)


if __name__ == "__main__":
    main()
