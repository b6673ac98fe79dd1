"""DirectIO in a few lines: publish a file in the bundled emulator's portal, read its blocks in
parallel into a file, stream a byte range in order, and check every byte.

The emulator plays the portal (block map and wrapped data key) and the object store (the
encrypted, compressed blocks behind expiring signed URLs).  Against a real portal, drop the
emulator and pass its URL and your access key pair to ``DirectIO`` (or set
``CTERA_DIRECTIO_URL``, ``CTERA_ACCESS_KEY_ID``, ``CTERA_SECRET_ACCESS_KEY``).  See
docs/directio-client.md for what each call sends.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from cassdk_like.direct import ByteRange, DirectIO
from cassdk_like.emulator import Emulator

BLOCK = 256 * 1024


def main() -> None:
    content = os.urandom(5 * BLOCK + 12345)  # six blocks, the last one short
    with tempfile.TemporaryDirectory() as folder, Emulator() as emu:
        source = Path(folder) / "report.bin"
        source.write_bytes(content)
        # the portal's side: split, compress (snappy), encrypt under a per-file data key
        file_id = emu.direct.publish_file(source, block_size=BLOCK, codec="snappy")
        key = emu.direct.default_credentials

        with DirectIO(emu.endpoints["direct"], key.access_key_id, key.secret_access_key) as dio:
            meta = dio.metadata(file_id)
            print(
                f"file {file_id}: {meta.size:,} bytes in {len(meta.blocks)} blocks, "
                f"{meta.compression}, key fingerprint {meta.key_fingerprint}"
            )

            # every block, four at a time, joined into a file in block order
            blocks = dio.blocks(file_id, max_workers=4)
            copy = Path(folder) / "copy.bin"
            with copy.open("wb") as out:
                for block in blocks:
                    out.write(block.data)
            same = hashlib.sha256(copy.read_bytes()).digest() == hashlib.sha256(content).digest()
            print(f"blocks: wrote {copy.stat().st_size:,} bytes, sha256 matches: {same}")

            # one byte range across two blocks, streamed in order (at most `window` blocks held)
            start, end = BLOCK - 1000, 2 * BLOCK + 999
            with dio.streamer(file_id, ByteRange(start, end), window=2) as streamer:
                piece = b"".join(streamer)
            print(f"range {start}-{end}: {len(piece):,} bytes")

            # or straight to a file: temporary file, fsync, rename once every block checked out
            tail = Path(folder) / "tail.bin"
            dio.streamer(file_id, ByteRange(4 * BLOCK)).to_file(tail)

        assert same
        assert piece == content[start : end + 1]
        assert tail.read_bytes() == content[4 * BLOCK :]
        print("directio example verified")


if __name__ == "__main__":
    main()
