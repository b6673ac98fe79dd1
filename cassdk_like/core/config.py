"""Credentials and endpoint settings, resolved from arguments, then environment, then a profile file.

The order is the one users of cloud SDKs expect: an explicit argument always wins, the environment
comes next (CI and containers), and an INI profile file (``~/.cassdk/config``, or the path in
``CASSDK_CONFIG``) is the fallback for interactive use. The order applies field by field, so an
argument is never ignored because another source holds a complete set. Secrets never appear in a
repr or str.
"""

from __future__ import annotations

import configparser
import os
import stat
import tempfile
from pathlib import Path
from typing import List, Mapping, Optional, Tuple

import attrs

from cassdk_like.core.exceptions import InvalidArgumentError, MissingCredentialsError

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG_PATH",
    "LEGACY_CREDENTIALS_PATH",
    "PROFILE_KEYS",
    "Credentials",
    "EndpointSettings",
    "config_path",
    "load_legacy_credentials",
    "load_profile",
    "readable_by_others",
    "resolve_credentials",
    "resolve_endpoint",
    "save_profile",
]

DEFAULT_CONFIG_PATH = Path("~/.cassdk/config")
CONFIG_ENV = "CASSDK_CONFIG"
#: the original cascmd's credentials file: section ``[CASCredentials]``, keys without underscores
LEGACY_CREDENTIALS_PATH = Path("~/.cascmd_credentials")
_LEGACY_SECTION = "CASCredentials"
_LEGACY_KEYS = {"endpoint": "endpoint", "appid": "appid", "secretid": "secret_id", "secretkey": "secret_key"}
#: the keys a profile section may hold
PROFILE_KEYS = ("endpoint", "appid", "region", "dialect", "secret_id", "secret_key", "session_token")

_ENV_NAMES = {
    "cas": ("CAS_SECRET_ID", "CAS_SECRET_KEY", None),
    "glacier": ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"),
    "s3": ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"),
    "cos": ("COS_SECRET_ID", "COS_SECRET_KEY", "COS_SESSION_TOKEN"),
}


@attrs.frozen(repr=False)
class Credentials:
    """A key pair (and optional session token). Thread-safe: immutable."""

    secret_id: str
    secret_key: str
    session_token: Optional[str] = None

    def __repr__(self) -> str:
        token = ", session_token=<hidden>" if self.session_token else ""
        return f"Credentials(secret_id={self.secret_id!r}, secret_key=<hidden>{token})"

    __str__ = __repr__

    def secrets(self) -> tuple[str, ...]:
        """Values that must be scrubbed from any log line."""
        return tuple(v for v in (self.secret_key, self.session_token) if v)


@attrs.frozen
class EndpointSettings:
    """Where the service is and whose account to use."""

    endpoint: Optional[str] = None
    appid: Optional[str] = None
    region: Optional[str] = None


def config_path(
    path: Optional[os.PathLike[str] | str] = None, environ: Optional[Mapping[str, str]] = None
) -> Path:
    """The profile file: ``path``, else ``$CASSDK_CONFIG``, else ``~/.cassdk/config``."""
    return _config_path(path, os.environ if environ is None else environ)


def _config_path(path: Optional[os.PathLike[str] | str], environ: Mapping[str, str]) -> Path:
    if path is not None:
        return Path(path).expanduser()
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV]).expanduser()
    return DEFAULT_CONFIG_PATH.expanduser()


def load_profile(
    profile: str = "default",
    path: Optional[os.PathLike[str] | str] = None,
    environ: Optional[Mapping[str, str]] = None,
) -> dict[str, str]:
    """Return the keys of one INI section, or an empty dict when the file or section is absent.

    Recognised keys: ``secret_id``, ``secret_key``, ``session_token``, ``appid``, ``endpoint``,
    ``region``, ``dialect``. A file readable by other users is still read (the CLI warns).
    """
    env = os.environ if environ is None else environ
    file = _config_path(path, env)
    if not file.is_file():
        return {}
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(file, encoding="utf-8")
    if not parser.has_section(profile):
        return {}
    return {k.strip().lower(): v.strip() for k, v in parser.items(profile)}


def resolve_credentials(
    secret_id: Optional[str] = None,
    secret_key: Optional[str] = None,
    session_token: Optional[str] = None,
    *,
    dialect: str = "cas",
    profile: str = "default",
    config_path: Optional[os.PathLike[str] | str] = None,
    environ: Optional[Mapping[str, str]] = None,
    fallback: Optional[Mapping[str, str]] = None,
) -> Credentials:
    """Each field on its own: argument, else environment, else profile; raise when a field is missing.

    Precedence is per field so that no value the caller passed is ever ignored: a lone
    ``secret_key`` argument is used with the secret id from the environment (or the profile),
    rather than being dropped because the environment holds a complete pair. A session token
    belongs to its key, so without a ``session_token`` argument it comes from the source that
    supplied the secret key (none when the key is an argument). A value that is not a string
    (bytes, an int) is refused here, before any request is signed with it. ``fallback`` (keys as
    in a profile) is the last source, e.g. the legacy cascmd credentials file.
    """
    env = os.environ if environ is None else environ
    if dialect not in _ENV_NAMES:
        raise MissingCredentialsError(f"unknown dialect {dialect!r}", operation="resolve_credentials")
    id_var, key_var, token_var = _ENV_NAMES[dialect]
    for name, value in (
        ("secret_id", secret_id),
        ("secret_key", secret_key),
        ("session_token", session_token),
    ):
        if value is not None and not isinstance(value, str):
            raise InvalidArgumentError(
                f"{name} must be a str, not {type(value).__name__}",
                operation="resolve_credentials",
                resource=f"argument {name!r}",
            )
    sources: List[Tuple[Optional[str], Optional[str], Optional[str]]] = [
        (secret_id, secret_key, None),
        (env.get(id_var), env.get(key_var), env.get(token_var) if token_var else None),
    ]
    if not all(any(source[i] for source in sources) for i in (0, 1)):
        prof = load_profile(profile, config_path, env)
        sources.append((prof.get("secret_id"), prof.get("secret_key"), prof.get("session_token")))
        last = fallback or {}
        sources.append((last.get("secret_id"), last.get("secret_key"), last.get("session_token")))
    found_id = next((source[0] for source in sources if source[0]), None)
    key_source = next((source for source in sources if source[1]), None)
    if found_id and key_source is not None and key_source[1]:
        return Credentials(found_id, key_source[1], session_token or key_source[2] or None)
    missing = " and ".join(n for n, v in (("secret_id", found_id), ("secret_key", key_source)) if not v)
    where = _config_path(config_path, env)
    raise MissingCredentialsError(
        f"no {missing}: pass secret_id and secret_key, set {id_var} and {key_var}, "
        f"or add them to profile [{profile}]",
        operation="resolve_credentials",
        local_path=str(where),
    )


def resolve_endpoint(
    endpoint: Optional[str] = None,
    appid: Optional[str] = None,
    region: Optional[str] = None,
    *,
    profile: str = "default",
    config_path: Optional[os.PathLike[str] | str] = None,
    environ: Optional[Mapping[str, str]] = None,
    fallback: Optional[Mapping[str, str]] = None,
) -> EndpointSettings:
    """Fill endpoint, appid and region from ``CAS_ENDPOINT`` / ``CAS_APPID`` / the profile file,
    then from ``fallback`` (keys as in a profile)."""
    env = os.environ if environ is None else environ
    prof = load_profile(profile, config_path, env)
    last = fallback or {}
    return EndpointSettings(
        endpoint=endpoint or env.get("CAS_ENDPOINT") or prof.get("endpoint") or last.get("endpoint"),
        appid=appid or env.get("CAS_APPID") or prof.get("appid") or last.get("appid"),
        region=region
        or env.get("AWS_REGION")
        or env.get("AWS_DEFAULT_REGION")
        or prof.get("region")
        or last.get("region"),
    )


def load_legacy_credentials(path: Optional[os.PathLike[str] | str] = None) -> dict[str, str]:
    """The original cascmd's ``~/.cascmd_credentials`` with its keys renamed to profile keys.

    Its ``[CASCredentials]`` section holds ``endpoint``, ``appid``, ``secretid`` and ``secretkey``;
    an absent file or section gives an empty dict.
    """
    file = Path(path).expanduser() if path is not None else LEGACY_CREDENTIALS_PATH.expanduser()
    if not file.is_file():
        return {}
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(file, encoding="utf-8")
    if not parser.has_section(_LEGACY_SECTION):
        return {}
    found = {k.strip().lower(): v.strip() for k, v in parser.items(_LEGACY_SECTION)}
    return {ours: found[theirs] for theirs, ours in _LEGACY_KEYS.items() if found.get(theirs)}


def readable_by_others(path: os.PathLike[str] | str) -> bool:
    """Whether the group or other users may read (or write) the file: a secret there is exposed."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return bool(mode & (stat.S_IRWXG | stat.S_IRWXO))


def save_profile(
    values: Mapping[str, str],
    profile: str = "default",
    path: Optional[os.PathLike[str] | str] = None,
    environ: Optional[Mapping[str, str]] = None,
) -> Path:
    """Merge ``values`` into one section of the profile file, readable by its owner only (0600).

    Other sections and keys are kept. The file is replaced atomically, so a reader never sees half
    a file, and its directory is created with mode 0700. Returns the path written.
    """
    unknown = sorted(set(values) - set(PROFILE_KEYS))
    if unknown:
        raise InvalidArgumentError(
            f"unknown profile key(s) {unknown}; expected some of {list(PROFILE_KEYS)}",
            operation="save_profile",
            resource=f"profile [{profile}]",
        )
    file = config_path(path, environ)
    parser = configparser.ConfigParser(interpolation=None)
    if file.is_file():
        parser.read(file, encoding="utf-8")
    if not parser.has_section(profile):
        parser.add_section(profile)
    for key, value in values.items():
        parser.set(profile, key, value)
    file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".config-", dir=file.parent)  # created 0600
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            parser.write(stream)
        os.chmod(temporary, 0o600)
        os.replace(temporary, file)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return file
