"""``python -m cassdk_like.emulator``: run the emulator in the foreground until Ctrl-C."""

import sys

from cassdk_like.emulator.cli import serve_main

if __name__ == "__main__":
    sys.exit(serve_main())
