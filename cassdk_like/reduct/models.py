"""What the ReductStore API answers and takes, as frozen values with the server's field names.

Sizes are bytes, record times integer microseconds since the epoch (``oldest_record`` of an empty
store is ``2**64-1`` and ``latest_record`` 0, as the server reports them), token times aware UTC
datetimes (docs/reduct-client.md §3).  Each answer model reads itself with ``from_json``; a
document of the wrong shape is a ``BadResponseError``, never a ``KeyError``.  The lists reduct-py
keeps in its models are tuples here, so values can be shared between threads and hashed.
"""

from __future__ import annotations

import datetime as _dt
import enum
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Tuple, Type, TypeVar, Union

import attrs

from cassdk_like.core.exceptions import BadResponseError, InvalidArgumentError
from cassdk_like.reduct.timestamps import parse_rfc3339

__all__ = [
    "BucketFullInfo",
    "BucketInfo",
    "BucketSettings",
    "Defaults",
    "EntryInfo",
    "FullTokenInfo",
    "LicenseInfo",
    "Permissions",
    "QuotaType",
    "ServerInfo",
    "Status",
    "Token",
]

T = TypeVar("T")
Json = Mapping[str, Any]


class QuotaType(str, enum.Enum):
    """What a bucket does when it reaches ``quota_size``: nothing, drop the oldest blocks, or refuse."""

    NONE = "NONE"
    FIFO = "FIFO"
    HARD = "HARD"

    def __str__(self) -> str:
        return self.value


class Status(str, enum.Enum):
    """A bucket or entry is READY, or DELETING while the server removes it in the background."""

    READY = "READY"
    DELETING = "DELETING"

    def __str__(self) -> str:
        return self.value


# -- reading JSON --------------------------------------------------------------------------------


def _bad(what: str, key: str, detail: str) -> BadResponseError:
    return BadResponseError(f"{what}: field {key!r} {detail}")


def _value(doc: Json, key: str, kind: Type[T], what: str) -> Optional[T]:
    value = doc.get(key)
    if value is None:
        return None
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise _bad(what, key, f"must be an integer, got {type(value).__name__}")
    if not isinstance(value, kind):
        raise _bad(what, key, f"must be {kind.__name__}, got {type(value).__name__}")
    return value


def _required(doc: Json, key: str, kind: Type[T], what: str) -> T:
    value = _value(doc, key, kind, what)
    if value is None:
        raise _bad(what, key, "is missing")
    return value


def _optional(doc: Json, key: str, kind: Type[T], what: str) -> Optional[T]:
    return _value(doc, key, kind, what)


def _field(doc: Json, key: str, kind: Type[T], what: str, default: T) -> T:
    value = _value(doc, key, kind, what)
    return default if value is None else value


def _time(doc: Json, key: str, what: str) -> Optional[_dt.datetime]:
    text = _optional(doc, key, str, what)
    if text is None:
        return None
    moment = parse_rfc3339(text)
    if moment is None:
        raise _bad(what, key, f"is not an RFC 3339 time: {text!r}")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=_dt.timezone.utc)


def _required_time(doc: Json, key: str, what: str) -> _dt.datetime:
    moment = _time(doc, key, what)
    if moment is None:
        raise _bad(what, key, "is missing")
    return moment


def _object(doc: Json, key: str, what: str) -> Json:
    return _required(doc, key, dict, what)


def _strings(doc: Json, key: str, what: str) -> Tuple[str, ...]:
    values = _field(doc, key, list, what, [])
    if not all(isinstance(v, str) for v in values):
        raise _bad(what, key, "must be a list of strings")
    return tuple(values)


def _enum(kind: Callable[[str], T], doc: Json, key: str, what: str, default: Any) -> T:
    text = _optional(doc, key, str, what)
    if text is None:
        return default  # type: ignore[no-any-return]
    try:
        return kind(text)
    except ValueError:
        raise _bad(what, key, f"has an unknown value {text!r}") from None


def document(value: Any, what: str) -> Json:
    """``value`` if it is a JSON object, else a ``BadResponseError`` naming ``what``."""
    if not isinstance(value, dict):
        raise BadResponseError(f"{what}: expected a JSON object, got {type(value).__name__}")
    return value


# -- checking arguments ------------------------------------------------------------------------


def _size(_inst: object, attribute: attrs.Attribute[Optional[int]], value: Optional[int]) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**64:
        raise InvalidArgumentError(
            f"{attribute.name} must be None or an integer in 0..2**64-1, got {value!r}"
        )


def _quota_type(value: Union[QuotaType, str, None]) -> Optional[QuotaType]:
    if value is None or isinstance(value, QuotaType):
        return value
    try:
        return QuotaType(str(value).upper())
    except ValueError:
        raise InvalidArgumentError(f"quota_type must be one of NONE, FIFO, HARD, got {value!r}") from None


def _names(values: Iterable[str]) -> Tuple[str, ...]:
    if isinstance(values, str):
        raise InvalidArgumentError(f"a list of bucket names is expected, not the string {values!r}")
    names = tuple(values)
    if not all(isinstance(v, str) for v in names):
        raise InvalidArgumentError("bucket names in permissions must be strings")
    return names


def _flag(_inst: object, attribute: attrs.Attribute[bool], value: bool) -> None:
    if not isinstance(value, bool):
        raise InvalidArgumentError(f"{attribute.name} must be a bool, got {value!r}")


# -- buckets -------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class BucketSettings:
    """Settings of a bucket; ``None`` means "the server's default" on create and "unchanged" on
    ``set_settings`` (docs/reduct-client.md §3)."""

    max_block_size: Optional[int] = attrs.field(default=None, validator=_size)
    max_block_records: Optional[int] = attrs.field(default=None, validator=_size)
    quota_type: Optional[QuotaType] = attrs.field(default=None, converter=_quota_type)
    quota_size: Optional[int] = attrs.field(default=None, validator=_size)

    def to_json(self) -> Dict[str, Any]:
        """All four keys, unset ones as ``null`` (what the server reads as default / unchanged)."""
        return {
            "max_block_size": self.max_block_size,
            "max_block_records": self.max_block_records,
            "quota_type": None if self.quota_type is None else self.quota_type.value,
            "quota_size": self.quota_size,
        }

    @classmethod
    def from_json(cls, doc: Json) -> BucketSettings:
        """Read one from the server's JSON ``doc``; ``BadResponseError`` for a missing or mistyped field."""
        what = "bucket settings"
        return cls(
            max_block_size=_optional(doc, "max_block_size", int, what),
            max_block_records=_optional(doc, "max_block_records", int, what),
            quota_type=_enum(QuotaType, doc, "quota_type", what, None),
            quota_size=_optional(doc, "quota_size", int, what),
        )


@attrs.frozen(kw_only=True)
class BucketInfo:
    """One bucket of ``list()`` or ``Bucket.info()``."""

    name: str
    entry_count: int
    size: int
    oldest_record: int
    latest_record: int
    is_provisioned: bool = False
    status: Status = Status.READY

    @classmethod
    def from_json(cls, doc: Json) -> BucketInfo:
        """Read one from the server's JSON ``doc``; ``BadResponseError`` for a missing or mistyped field."""
        what = "bucket info"
        return cls(
            name=_required(doc, "name", str, what),
            entry_count=_required(doc, "entry_count", int, what),
            size=_required(doc, "size", int, what),
            oldest_record=_required(doc, "oldest_record", int, what),
            latest_record=_required(doc, "latest_record", int, what),
            is_provisioned=_field(doc, "is_provisioned", bool, what, False),
            status=_enum(Status, doc, "status", what, Status.READY),
        )


@attrs.frozen(kw_only=True)
class EntryInfo:
    """One entry of a bucket: its records, blocks and time span."""

    name: str
    size: int
    block_count: int
    record_count: int
    oldest_record: int
    latest_record: int
    status: Status = Status.READY

    @classmethod
    def from_json(cls, doc: Json) -> EntryInfo:
        """Read one from the server's JSON ``doc``; ``BadResponseError`` for a missing or mistyped field."""
        what = "entry info"
        return cls(
            name=_required(doc, "name", str, what),
            size=_required(doc, "size", int, what),
            block_count=_required(doc, "block_count", int, what),
            record_count=_required(doc, "record_count", int, what),
            oldest_record=_required(doc, "oldest_record", int, what),
            latest_record=_required(doc, "latest_record", int, what),
            status=_enum(Status, doc, "status", what, Status.READY),
        )


@attrs.frozen(kw_only=True)
class BucketFullInfo:
    """``GET /b/{name}``: the bucket's info, its settings (all filled in) and its entries."""

    info: BucketInfo
    settings: BucketSettings
    entries: Tuple[EntryInfo, ...] = ()

    @classmethod
    def from_json(cls, doc: Json) -> BucketFullInfo:
        """Read one from the server's JSON ``doc``; ``BadResponseError`` for a missing or mistyped field."""
        what = "bucket"
        entries = _field(doc, "entries", list, what, [])
        return cls(
            info=BucketInfo.from_json(_object(doc, "info", what)),
            settings=BucketSettings.from_json(_object(doc, "settings", what)),
            entries=tuple(EntryInfo.from_json(document(e, "entry info")) for e in entries),
        )


# -- server --------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Defaults:
    """What a new bucket gets when its settings leave a field out."""

    bucket: BucketSettings

    @classmethod
    def from_json(cls, doc: Json) -> Defaults:
        """Read one from the server's JSON ``doc``; ``BadResponseError`` for a missing or mistyped field."""
        return cls(bucket=BucketSettings.from_json(_object(doc, "bucket", "server defaults")))


@attrs.frozen(kw_only=True)
class LicenseInfo:
    """The commercial licence of a server (``None`` in ``ServerInfo.license`` for the BUSL build)."""

    licensee: str
    invoice: str
    expiry_date: _dt.datetime
    plan: str
    device_number: int
    disk_quota: int
    fingerprint: str

    @classmethod
    def from_json(cls, doc: Json) -> LicenseInfo:
        """Read one from the server's JSON ``doc``; ``BadResponseError`` for a missing or mistyped field."""
        what = "license"
        return cls(
            licensee=_required(doc, "licensee", str, what),
            invoice=_required(doc, "invoice", str, what),
            expiry_date=_required_time(doc, "expiry_date", what),
            plan=_required(doc, "plan", str, what),
            device_number=_required(doc, "device_number", int, what),
            disk_quota=_required(doc, "disk_quota", int, what),
            fingerprint=_required(doc, "fingerprint", str, what),
        )


@attrs.frozen(kw_only=True)
class ServerInfo:
    """``GET /info``: version, usage (bytes), uptime (seconds) and the record time span."""

    version: str
    bucket_count: int
    usage: int
    uptime: int
    oldest_record: int
    latest_record: int
    defaults: Defaults
    license: Optional[LicenseInfo] = None
    instance_name: Optional[str] = None
    instance_role: Optional[str] = None

    @classmethod
    def from_json(cls, doc: Json) -> ServerInfo:
        """Read one from the server's JSON ``doc``; ``BadResponseError`` for a missing or mistyped field."""
        what = "server info"
        licence = doc.get("license")
        return cls(
            version=_required(doc, "version", str, what),
            bucket_count=_required(doc, "bucket_count", int, what),
            usage=_required(doc, "usage", int, what),
            uptime=_required(doc, "uptime", int, what),
            oldest_record=_required(doc, "oldest_record", int, what),
            latest_record=_required(doc, "latest_record", int, what),
            defaults=Defaults.from_json(_object(doc, "defaults", what)),
            license=None if licence is None else LicenseInfo.from_json(document(licence, "license")),
            instance_name=_optional(doc, "instance_name", str, what),
            instance_role=_optional(doc, "instance_role", str, what),
        )


# -- tokens --------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Permissions:
    """What a token may do: everything (``full_access``), or read / write the listed buckets
    (exact names, or a prefix ending in ``*``)."""

    full_access: bool = attrs.field(default=False, validator=_flag)
    read: Tuple[str, ...] = attrs.field(default=(), converter=_names)
    write: Tuple[str, ...] = attrs.field(default=(), converter=_names)

    def to_json(self) -> Dict[str, Any]:
        """The permissions as the JSON the server takes."""
        return {"full_access": self.full_access, "read": list(self.read), "write": list(self.write)}

    @classmethod
    def from_json(cls, doc: Json) -> Permissions:
        """Read one from the server's JSON ``doc``; ``BadResponseError`` for a missing or mistyped field."""
        what = "permissions"
        return cls(
            full_access=_field(doc, "full_access", bool, what, False),
            read=_strings(doc, "read", what),
            write=_strings(doc, "write", what),
        )


@attrs.frozen(kw_only=True)
class Token:
    """A token as the server lists it; its secret value is never part of it."""

    name: str
    created_at: _dt.datetime
    is_provisioned: bool = False
    expires_at: Optional[_dt.datetime] = None
    #: inactivity timeout in seconds
    ttl: Optional[int] = None
    last_access: Optional[_dt.datetime] = None
    is_expired: bool = False
    ip_allowlist: Tuple[str, ...] = ()

    @classmethod
    def _fields_of(cls, doc: Json) -> Dict[str, Any]:
        what = "token"
        return {
            "name": _required(doc, "name", str, what),
            "created_at": _required_time(doc, "created_at", what),
            "is_provisioned": _field(doc, "is_provisioned", bool, what, False),
            "expires_at": _time(doc, "expires_at", what),
            "ttl": _optional(doc, "ttl", int, what),
            "last_access": _time(doc, "last_access", what),
            "is_expired": _field(doc, "is_expired", bool, what, False),
            "ip_allowlist": _strings(doc, "ip_allowlist", what),
        }

    @classmethod
    def from_json(cls, doc: Json) -> Token:
        """A ``FullTokenInfo`` when the document carries permissions (the server's list does)."""
        fields = cls._fields_of(doc)
        permissions = doc.get("permissions")
        if permissions is not None:
            return FullTokenInfo(
                permissions=Permissions.from_json(document(permissions, "permissions")), **fields
            )
        return Token(**fields)


@attrs.frozen(kw_only=True)
class FullTokenInfo(Token):
    """A token with its permissions (``get_token``, ``me``)."""

    permissions: Permissions

    @classmethod
    def from_json(cls, doc: Json) -> FullTokenInfo:
        """Read one from the server's JSON ``doc``; ``BadResponseError`` for a missing or mistyped field."""
        what = "token"
        return cls(
            permissions=Permissions.from_json(_object(doc, "permissions", what)), **cls._fields_of(doc)
        )
