"""Every script in examples/ runs as a user would run it and prints its key line.

Each example is a subprocess (``sys.executable``, cwd = repo root, 120 s), with the connection
variables removed so it starts its own local emulator. A new example must add its key line to
``KEY_LINES``: an example nobody checks rots.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

#: the line each example prints when its flow checked out
KEY_LINES: Dict[str, str] = {
    "quickstart.py": "verified",
    "vault_basics.py": "vault basics example verified",
    "upload_and_restore.py": "upload and restore example verified",
    "inventory.py": "inventory example verified",
    "resume_upload.py": "resume example verified",
    "lowlevel_client.py": "low-level example verified",
    "bucket_transfers.py": "bucket example verified",
    "bucket_dropbox.py": "drop box example verified",
    "reduct_quickstart.py": "reduct quickstart verified",
    "directio_fetch.py": "directio example verified",
    "par_share.py": "par share example verified",
}

_CONNECTION_VARS = (
    "CAS_ENDPOINT",
    "CAS_APPID",
    "CAS_SECRET_ID",
    "CAS_SECRET_KEY",
    "CAS_DIALECT",
    "CASSDK_CONFIG",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "COS_SECRET_ID",
    "COS_SECRET_KEY",
    "REDUCT_URL",
    "REDUCT_API_TOKEN",
    "CTERA_DIRECTIO_URL",
    "CTERA_ACCESS_KEY_ID",
    "CTERA_SECRET_ACCESS_KEY",
)


def _scripts() -> List[str]:
    return sorted(p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))


def test_every_example_has_a_key_line() -> None:
    assert _scripts(), "examples/ has no scripts"
    assert sorted(KEY_LINES) == _scripts()


@pytest.mark.parametrize("script", _scripts())
def test_example_runs(script: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in _CONNECTION_VARS}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["TMPDIR"] = str(tmp_path)  # whatever an example leaves behind stays in pytest's folder
    env["HOME"] = str(tmp_path)  # no profile file of the developer's is read
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    assert result.returncode == 0, output
    assert KEY_LINES.get(script, "<no key line registered>") in result.stdout, output
    assert "Traceback" not in result.stderr, output
    leftovers = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert leftovers == [], f"the example left temporary files behind: {leftovers}"
