"""Thin shim: the metadata lives in setup.cfg; the version is read here from
``cassdk_like/_version.py`` as text, because older setuptools (the one a Python 3.9 venv brings)
imports the package to evaluate ``attr:``, before its dependencies are installed."""

import re
from pathlib import Path

from setuptools import setup

_VERSION = Path(__file__).parent / "cassdk_like" / "_version.py"
match = re.search(r'^__version__ = "([^"]+)"', _VERSION.read_text(encoding="utf-8"), re.M)
if match is None:
    raise SystemExit("no __version__ in cassdk_like/_version.py")
setup(version=match.group(1))
