"""``PAR``: a pre-authenticated request, sealed to its recipient, serialisable, expiring.

A PAR holds the public description of a grant (uid, kind, bucket, key, permissions, expiry) and
the sealed grant itself (docs/par.md §2 and §3). It never holds the opened URLs: they are opened for
a request and dropped after it (docs/par.md §4). Every use re-checks the expiry against the PAR's
clock first, so a PAR that has fewer than ``buffer`` seconds left refuses before anything is sent.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import time
import uuid
import warnings
from typing import Any, Callable, Dict, List, Mapping, Optional, Union

import attrs

from cassdk_like.par.errors import (
    PARError,
    PARNotRevocableWarning,
    PARPassphraseError,
    PARPermissionsError,
    PARSealError,
    PARTamperedError,
    PARTimeoutError,
)
from cassdk_like.par.grant import Grant
from cassdk_like.par.keys import Passphrase, as_passphrase
from cassdk_like.par.registry import revoke
from cassdk_like.par.sealing import canonical, open_sealed, seal_to_key, seal_with_passphrase

__all__ = ["FORMAT_VERSION", "PAR", "CloseResult", "open_grant"]

FORMAT_VERSION = 1
#: the fields of a PAR's JSON besides its seal, all bound to the seal as associated data
HEADER_FIELDS = (
    "v",
    "uid",
    "kind",
    "service",
    "bucket",
    "key",
    "key_prefix",
    "perms",
    "expires_at",
    "revocation",
)
_KINDS = ("object", "bucket")
_SERVICES = ("s3", "cos")
_PERMS = ("read", "write")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_NOT_REVOCABLE = (
    "a presigned {service} URL is not an object on the service and cannot be revoked: it stays "
    "valid until {expires}. Issue PARs with short expiries, or rotate the signing key to kill them all"
)

Clock = Callable[[], float]


@attrs.frozen
class CloseResult:
    """What ``close()`` achieved: ``revoked`` is True only when the service now refuses the PAR."""

    uid: str
    revoked: bool
    detail: str


def _utc(value: Any, operation: str) -> _dt.datetime:
    if not isinstance(value, _dt.datetime):
        raise PARError("expires_datetime must be a datetime", operation=operation)
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    moment: _dt.datetime = value.astimezone(_dt.timezone.utc)
    return moment.replace(microsecond=0)


def _format_time(value: _dt.datetime) -> str:
    return value.strftime(_TIME_FORMAT)


def _parse_time(value: Any) -> _dt.datetime:
    if not isinstance(value, str):
        raise PARTamperedError("the PAR's expires_at is not a time", operation="from_data")
    try:
        parsed = _dt.datetime.strptime(value, _TIME_FORMAT)
    except ValueError:
        raise PARTamperedError("the PAR's expires_at is not a time", operation="from_data") from None
    return parsed.replace(tzinfo=_dt.timezone.utc)


class PAR:
    """A pre-authenticated request to read or write one object, or to write into a bucket.

    Normally made by :func:`cassdk_like.par.create_par`; the arguments follow the seed: ``url`` is
    the grant (a presigned URL string for a single-permission object PAR, or a
    :class:`~cassdk_like.par.grant.Grant`), ``key`` the object key (None: a bucket PAR),
    ``encrypt_key`` the recipient's X25519 public key (or key pair, or PEM) or a
    :class:`~cassdk_like.par.keys.Passphrase`. The grant is sealed here and the plaintext dropped.
    """

    def __init__(
        self,
        url: Optional[Union[str, Grant]] = None,
        key: Optional[str] = None,
        encrypt_key: Any = None,
        expires_datetime: Optional[_dt.datetime] = None,
        is_readable: bool = False,
        is_writeable: bool = False,
        is_executable: bool = False,
        driver_details: Optional[Mapping[str, Any]] = None,
        *,
        service: str = "s3",
        bucket: str = "",
        key_prefix: Optional[str] = None,
        uid: Optional[str] = None,
        clock: Clock = time.time,
        use_hpke: Optional[bool] = None,
    ) -> None:
        operation = "create_par"
        if is_executable:
            raise PARPermissionsError(
                "this SDK has no compute service: a PAR cannot be executable", operation=operation
            )
        self._clock = clock
        self._driver_details: Dict[str, Any] = dict(driver_details or {})
        self._closed: Optional[CloseResult] = None
        self._seal: Optional[Dict[str, Any]] = None
        if url is None:
            self._header: Dict[str, Any] = {}
            return
        grant = _as_grant(url, is_readable, is_writeable, operation)
        if expires_datetime is None:
            raise PARError("a PAR needs expires_datetime", operation=operation)
        header = {
            "v": FORMAT_VERSION,
            "uid": uid or str(uuid.uuid4()),
            "kind": "object" if key is not None else "bucket",
            "service": service,
            "bucket": bucket,
            "key": key,
            "key_prefix": None if key is not None else (key_prefix or ""),
            "perms": [name for name, on in (("read", is_readable), ("write", is_writeable)) if on],
            "expires_at": _format_time(_utc(expires_datetime, operation)),
            "revocation": "registry" if grant.registry else "none",
        }
        _check_header(header, operation, sealed=False)
        if encrypt_key is None:
            raise PARError(
                "a PAR is always sealed: give the recipient's public key or a Passphrase", operation=operation
            )
        plaintext = grant.to_bytes()
        if isinstance(encrypt_key, Passphrase):
            self._seal = seal_with_passphrase(plaintext, encrypt_key, header)
        else:
            self._seal = seal_to_key(plaintext, encrypt_key, header, use_hpke=use_hpke)
        self._header = header

    # -- what the PAR says (public, authenticated when opened) ------------------------------------

    @property
    def is_null(self) -> bool:
        """True for a PAR made without a URL (it grants nothing)."""
        return self._seal is None

    @property
    def uid(self) -> Optional[str]:
        """The PAR's unique id (what revocation names)."""
        return self._header.get("uid")

    @property
    def kind(self) -> Optional[str]:
        """``object`` or ``bucket``."""
        return self._header.get("kind")

    @property
    def service(self) -> Optional[str]:
        """The storage dialect of its URLs ("s3" or "cos")."""
        return self._header.get("service")

    @property
    def bucket(self) -> Optional[str]:
        """The bucket the PAR grants access to."""
        return self._header.get("bucket")

    @property
    def key_prefix(self) -> Optional[str]:
        """A bucket PAR's prefix: every key it writes starts with it."""
        return self._header.get("key_prefix")

    @property
    def is_readable(self) -> bool:
        """True when the PAR grants reads."""
        return "read" in self._header.get("perms", ())

    @property
    def is_writeable(self) -> bool:
        """True when the PAR grants writes."""
        return "write" in self._header.get("perms", ())

    @property
    def is_executable(self) -> bool:
        """Always False: a PAR grants reads or writes, never execution."""
        return False

    @property
    def revocable(self) -> bool:
        """True when ``close()`` revokes the PAR at a grant registry (docs/par.md §5)."""
        return self._header.get("revocation") == "registry"

    @property
    def expires_at(self) -> Optional[_dt.datetime]:
        """When the PAR stops working (UTC), if known."""
        text = self._header.get("expires_at")
        return None if text is None else _parse_time(text)

    def key(self) -> Optional[str]:
        """The object key this PAR reads or writes; None for a bucket PAR."""
        return self._header.get("key")

    def driver_details(self) -> Dict[str, Any]:
        """What the issuing side recorded (service, bucket, registry); empty when not available.
        Never serialised."""
        return dict(self._driver_details)

    @staticmethod
    def checksum(data: Union[str, bytes]) -> str:
        """SHA-256 (hex) of ``data`` (text is UTF-8 encoded)."""
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        return hashlib.sha256(raw).hexdigest()

    # -- time -------------------------------------------------------------------------------------

    def seconds_remaining(self, buffer: float = 30) -> float:
        """Seconds until the PAR expires, less ``buffer`` (never negative; 0 for a null PAR)."""
        expires = self.expires_at
        if expires is None:
            return 0.0
        left = expires.timestamp() - self._clock() - max(float(buffer), 0.0)
        return max(left, 0.0)

    def check_usable(self, operation: str, buffer: float = 30) -> None:
        """Raise unless the PAR may be used now: not null, not closed, more than ``buffer`` s left."""
        resource = self._resource()
        if self._seal is None:
            raise PARError("this PAR is null: it grants nothing", operation=operation)
        if self._closed is not None:
            raise PARError("this PAR was closed", operation=operation, resource=resource)
        if self.seconds_remaining(buffer) <= 0:
            raise PARTimeoutError(
                f"the PAR expires at {self._header['expires_at']}, within the {buffer:g} s safety buffer"
                " (or has expired): ask its issuer for a new one",
                operation=operation,
                resource=resource,
            )

    def _resource(self) -> str:
        return f"PAR {self.uid}" if self.uid else "PAR"

    # -- sealing ----------------------------------------------------------------------------------

    def verify(self, decrypt_key: Any) -> None:
        """Open the seal without using it: raises when the key or passphrase is wrong or the PAR was
        changed (``PARSealError`` subclasses)."""
        open_grant(self, decrypt_key, "verify", check_time=False)

    def to_data(self, passphrase: Optional[Union[str, Passphrase]] = None) -> Dict[str, Any]:
        """The PAR as a JSON-serialisable dict (docs/par.md §2); with ``passphrase`` the seal is
        wrapped under it as well, and ``from_data`` then needs it."""
        if self._seal is None:
            raise PARError("a null PAR has no data", operation="to_data")
        data: Dict[str, Any] = dict(self._header)
        if passphrase is None:
            data["seal"] = dict(self._seal)
        else:
            secret = as_passphrase(passphrase, "to_data")
            data["wrap"] = seal_with_passphrase(canonical(self._seal), secret, self._header)
        return data

    def to_json(self, passphrase: Optional[Union[str, Passphrase]] = None) -> str:
        """The PAR as JSON text to send to its recipient; ``passphrase`` seals it for a passphrase instead."""
        return json.dumps(self.to_data(passphrase), sort_keys=True)

    @staticmethod
    def from_data(
        data: Union[Mapping[str, Any], str, bytes],
        passphrase: Optional[Union[str, Passphrase]] = None,
        *,
        clock: Clock = time.time,
    ) -> PAR:
        """A PAR from ``to_data``'s dict (or its JSON text); refuses unknown versions and fields."""
        operation = "from_data"
        if isinstance(data, (str, bytes)):
            try:
                data = json.loads(data)
            except ValueError:
                raise PARTamperedError("not PAR JSON", operation=operation) from None
        if not isinstance(data, Mapping):
            raise PARTamperedError("not PAR JSON", operation=operation)
        if data.get("v") != FORMAT_VERSION:
            raise PARError(
                f"PAR format version {data.get('v')!r} is not supported (this SDK reads {FORMAT_VERSION})",
                operation=operation,
            )
        sealed = [name for name in ("seal", "wrap") if name in data]
        if set(data) != set(HEADER_FIELDS) | set(sealed) or len(sealed) != 1:
            raise PARTamperedError("the PAR's fields are not the ones this format has", operation=operation)
        header = {name: data[name] for name in HEADER_FIELDS}
        _check_header(header, operation, sealed=True)
        if sealed == ["wrap"]:
            if passphrase is None:
                raise PARPassphraseError(
                    "this PAR was saved under a passphrase: give it", operation=operation
                )
            wrapped = _mapping(data["wrap"], operation)
            seal = _seal_from_bytes(
                open_sealed(wrapped, as_passphrase(passphrase, operation), header, operation)
            )
        else:
            if passphrase is not None:
                raise PARPassphraseError("this PAR was not saved under a passphrase", operation=operation)
            seal = dict(_mapping(data["seal"], operation))
        par = PAR.__new__(PAR)
        par._clock = clock
        par._driver_details = {}
        par._closed = None
        par._header = header
        par._seal = seal
        return par

    # -- closing and executing ----------------------------------------------------------------------

    def close(self, decrypt_key: Any = None) -> CloseResult:
        """Close the PAR: revoke it at its grant registry where it has one, else say it cannot be
        revoked (a ``PARNotRevocableWarning`` and ``revoked=False``; docs/par.md §5). Either way
        this object refuses to be used afterwards. Needs the decrypt key, as proof of holding it."""
        if self._closed is not None:
            return self._closed
        grant = open_grant(self, decrypt_key, "close", check_time=False)
        uid = str(self.uid)
        if grant.registry is not None:
            revoke(grant.registry, uid, grant.close_proof(uid), service=str(self.service))
            result = CloseResult(uid, True, "revoked at the grant registry: requests now answer 403")
        else:
            detail = _NOT_REVOCABLE.format(
                service=str(self.service).upper(), expires=self._header["expires_at"]
            )
            warnings.warn(PARNotRevocableWarning(f"PAR {uid}: {detail}"), stacklevel=2)
            result = CloseResult(uid, False, detail)
        self._closed = result
        return result

    def execute(self, decrypt_key: Any = None) -> None:
        """Acquire's PARs could start a calculation; this SDK has no compute service, so this
        always raises ``PARPermissionsError``."""
        raise PARPermissionsError(
            "this SDK has no compute service: PARs grant object and bucket access only",
            operation="execute",
            resource=self._resource(),
        )

    def __repr__(self) -> str:
        if self._seal is None:
            return "PAR(null)"
        head = self._header
        target = f"key={head['key']!r}" if head["kind"] == "object" else f"key_prefix={head['key_prefix']!r}"
        return (
            f"PAR(uid={head['uid']!r}, kind={head['kind']!r}, service={head['service']!r}, "
            f"bucket={head['bucket']!r}, {target}, perms={head['perms']!r}, expires_at={head['expires_at']!r}"
            f"{', closed' if self._closed is not None else ''})"
        )

    __str__ = __repr__


def _mapping(value: Any, operation: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PARTamperedError("the PAR's seal is malformed", operation=operation)
    return value


def _seal_from_bytes(data: bytes) -> Dict[str, Any]:
    try:
        seal = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise PARTamperedError("the PAR's wrapped seal is malformed", operation="from_data") from None
    return dict(_mapping(seal, "from_data"))


def _as_grant(url: Union[str, Grant], readable: bool, writeable: bool, operation: str) -> Grant:
    if isinstance(url, Grant):
        return url
    if not isinstance(url, str) or not url:
        raise PARError("url must be a presigned URL or a Grant", operation=operation)
    if readable == writeable:
        raise PARPermissionsError(
            "one presigned URL grants one method: give a Grant for a read-write PAR", operation=operation
        )
    return Grant(get=url) if readable else Grant(put=url)


def _check_header(header: Mapping[str, Any], operation: str, *, sealed: bool) -> None:
    """The fields' types and combinations; from JSON a violation is tampering, at creation bad input."""
    error = PARTamperedError if sealed else PARError
    problems: List[str] = []
    if not isinstance(header["uid"], str) or not header["uid"]:
        problems.append("uid")
    if header["kind"] not in _KINDS:
        problems.append("kind")
    if header["service"] not in _SERVICES:
        problems.append("service")
    if not isinstance(header["bucket"], str) or not header["bucket"]:
        problems.append("bucket")
    perms = header["perms"]
    if (
        not isinstance(perms, list)
        or not perms
        or any(p not in _PERMS for p in perms)
        or len(set(perms)) != len(perms)
    ):
        problems.append("perms")
    if header["revocation"] not in ("registry", "none"):
        problems.append("revocation")
    if header["kind"] == "object":
        if not isinstance(header["key"], str) or header["key_prefix"] is not None:
            problems.append("key")
    elif header["key"] is not None or not isinstance(header["key_prefix"], str):
        problems.append("key_prefix")
    if sealed:
        _parse_time(header["expires_at"])
    if problems:
        raise error(
            f"the PAR's {', '.join(problems)} {'is' if len(problems) == 1 else 'are'} not valid",
            operation=operation,
        )


def open_grant(
    par: PAR, decrypt_key: Any, operation: str, *, check_time: bool = True, buffer: float = 30
) -> Grant:
    """The PAR's grant, opened with ``decrypt_key``; by default only while the PAR is usable."""
    if check_time:
        par.check_usable(operation, buffer)
    elif par._seal is None:
        raise PARError("this PAR is null: it grants nothing", operation=operation)
    assert par._seal is not None
    try:
        plaintext = open_sealed(par._seal, decrypt_key, par._header, operation)
        return Grant.from_bytes(plaintext, operation)
    except PARSealError as exc:
        if exc.resource is not None:
            raise
        # the sealing layer knows no uid: name the PAR here, with the same class and reason
        raise type(exc)(exc.reason, operation=exc.operation, resource=par._resource()) from None
