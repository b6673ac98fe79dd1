"""Where the portal is and whose keys to use: arguments, then the environment, then the profile file.

Field by field, as ``core.config`` resolves the other services' settings: an argument always wins,
then ``CTERA_DIRECTIO_URL`` / ``CTERA_ACCESS_KEY_ID`` / ``CTERA_SECRET_ACCESS_KEY``, then the
``[directio]`` section of the profile file (keys ``url``, ``access_key_id``, ``secret_access_key``;
docs/directio-client.md §1).  A missing field is a ``MissingCredentialsError`` naming all three places.
"""

from __future__ import annotations

import os
from typing import Mapping, Optional, Tuple, Union

from cassdk_like.core.config import load_profile
from cassdk_like.core.exceptions import InvalidArgumentError, MissingCredentialsError
from cassdk_like.direct.models import Credentials

__all__ = ["ENV_ACCESS_KEY_ID", "ENV_SECRET_ACCESS_KEY", "ENV_URL", "PROFILE", "resolve_settings"]

ENV_URL = "CTERA_DIRECTIO_URL"
ENV_ACCESS_KEY_ID = "CTERA_ACCESS_KEY_ID"
ENV_SECRET_ACCESS_KEY = "CTERA_SECRET_ACCESS_KEY"  # noqa: S105 - a variable's name, not a secret
#: the profile file's section
PROFILE = "directio"

_FIELDS = (
    ("baseurl", ENV_URL, "url"),
    ("access_key_id", ENV_ACCESS_KEY_ID, "access_key_id"),
    ("secret_access_key", ENV_SECRET_ACCESS_KEY, "secret_access_key"),
)


def resolve_settings(
    baseurl: Optional[str] = None,
    access_key_id: Optional[str] = None,
    secret_access_key: Optional[str] = None,
    *,
    profile: str = PROFILE,
    config_path: Optional[Union[str, os.PathLike[str]]] = None,
    environ: Optional[Mapping[str, str]] = None,
) -> Tuple[str, Credentials]:
    """(portal URL, credentials), each field from the first source that has it."""
    env = os.environ if environ is None else environ
    given = (baseurl, access_key_id, secret_access_key)
    for (name, _var, _key), value in zip(_FIELDS, given):
        if value is not None and not isinstance(value, str):
            raise InvalidArgumentError(
                f"{name} must be a str, not {type(value).__name__}",
                operation="DirectIO",
                resource="the DirectIO portal",
            )
    found = [value or env.get(var) or None for value, (_name, var, _key) in zip(given, _FIELDS)]
    if not all(found):
        section = load_profile(profile, config_path, env)
        found = [value or section.get(key) or None for value, (_name, _var, key) in zip(found, _FIELDS)]
    missing = [name for value, (name, _var, _key) in zip(found, _FIELDS) if not value]
    if missing:
        names = ", ".join(var for value, (_name, var, _key) in zip(found, _FIELDS) if not value)
        raise MissingCredentialsError(
            f"no {' and '.join(missing)}: pass them, set {names}, or add them to profile [{profile}]",
            operation="DirectIO",
            resource=f"portal {found[0]}" if found[0] else "the DirectIO portal",
        )
    url, key_id, secret = (value or "" for value in found)
    return url, Credentials(key_id, secret)
