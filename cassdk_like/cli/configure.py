"""``cascmd config``: write the connection settings to a profile, as ``aws configure`` does.

The file is the SDK's profile file (``~/.cassdk/config`` or ``$CASSDK_CONFIG``, INI, one section
per profile), written with mode 0600 because it may hold a secret key. The secret key is asked
for without echo when standard input is a terminal and ``--secret-key`` is not given (a command
line is visible to other users).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Dict, TextIO

from cassdk_like.cli.args import UsageError
from cassdk_like.cli.output import description
from cassdk_like.core.config import config_path, load_profile, save_profile

__all__ = ["PROFILE_FORMAT", "cmd_config"]

#: shown in ``cascmd config --help`` and docs/cascmd.md
PROFILE_FORMAT = """\
profile file format (INI; ~/.cassdk/config, or the file named by $CASSDK_CONFIG):
  [default]
  endpoint = https://cas.ap-chengdu.myqcloud.com
  appid = 1250000000
  secret_id = AKID...
  secret_key = ...
  dialect = cas            (or glacier)
  region = us-east-1       (glacier dialect)
  session_token = ...      (temporary credentials)
Other sections are profiles chosen with --profile NAME. The original cascmd's ~/.cascmd_credentials
(section [CASCredentials]: endpoint, appid, secretid, secretkey) is read last, when nothing else
gives a value.
"""

_FIELDS = ("endpoint", "appid", "secret_id", "secret_key", "dialect", "region")


def cmd_config(args: argparse.Namespace, out: TextIO) -> int:
    """Merge the given settings into the profile; ``--show`` prints it with the secret hidden."""
    path = config_path(args.config_file)
    values: Dict[str, str] = {name: getattr(args, name) for name in _FIELDS if getattr(args, name)}
    if args.show:
        if values:
            raise UsageError("--show prints the profile; it takes no settings")
        shown = dict(load_profile(args.profile, path))
        for secret in ("secret_key", "session_token"):
            if secret in shown:
                shown[secret] = "<hidden>"
        description(out, args.output, {"file": str(path), "profile": args.profile, **shown})
        return 0
    if "secret_key" not in values and sys.stdin.isatty():
        typed = getpass.getpass("secret key (input hidden; empty keeps the current one): ")
        if typed:
            values["secret_key"] = typed
    if not values:
        raise UsageError("nothing to write: give --endpoint, --appid, --secret-id, --secret-key, ...")
    written = save_profile(values, args.profile, path)
    names = ", ".join(sorted(values))
    print(f"wrote {names} to profile [{args.profile}] of {written} (mode 600)", file=out)
    return 0
