"""Which cterasdk generation is installed, told by its signatures (not its version string)."""

from __future__ import annotations

import inspect

from cterasdk.direct import lib as _ctera_lib

#: cterasdk after 2.20.22 (the newest for Python 3.9) takes the file's compression and encryption
#: and can skip them; older releases decrypt and decompress every block whatever the metadata says
READS_PLAIN_FILES = "compression_library" in inspect.signature(_ctera_lib.decompress_object).parameters
