"""From an error answer to the exception raised for it: one code table per service.

Each service package owns an :class:`ErrorTable` of its documented codes and their
``CASServerError`` subclasses, so S3's ``SlowDown`` and the vault's ``SlowDown`` are different
classes in different tables and never collide.  A class says whether its code is worth retrying
(``retryable``); the table collects those codes.  An :class:`ErrorDecoder` pairs the wire profile's
parser with the service's table; the transport hands it to every response it builds, so
``error_code``, ``to_error()`` and the retry decision follow the service that sent the request.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Dict, FrozenSet, Iterable, Mapping, Optional, Tuple, Type

import attrs

from cassdk_like.core.errorparse import ErrorParser, ParsedError, parse_json_error
from cassdk_like.core.exceptions import CASServerError

__all__ = ["NO_CODES", "ErrorCode", "ErrorDecoder", "ErrorTable"]


class ErrorCode(str):
    """A service error code as its table sees it: the code's text, plus whether the service marks
    it retryable.  Compares, hashes and prints as the plain string."""

    retryable: bool

    def __new__(cls, code: str, *, retryable: bool = False) -> ErrorCode:
        obj = super().__new__(cls, code)
        obj.retryable = retryable
        return obj

    def __reduce__(self) -> Tuple[Any, ...]:
        return (_rebuild_code, (str(self), self.retryable))


def _rebuild_code(code: str, retryable: bool) -> ErrorCode:
    return ErrorCode(code, retryable=retryable)


class ErrorTable:
    """One service's error codes -> exception classes. Immutable after construction; thread-safe."""

    def __init__(self, service: str, codes: Mapping[str, Type[CASServerError]]) -> None:
        for code, klass in codes.items():
            if not (isinstance(klass, type) and issubclass(klass, CASServerError)):
                raise TypeError(f"{service} error code {code!r} must map to a CASServerError subclass")
        self.service = service
        self._codes: Mapping[str, Type[CASServerError]] = MappingProxyType(dict(codes))
        self.retryable_codes: FrozenSet[str] = frozenset(c for c, k in self._codes.items() if k.retryable)

    @classmethod
    def of_classes(cls, service: str, classes: Iterable[Type[CASServerError]]) -> ErrorTable:
        """A table whose codes are the class names (services whose codes are valid identifiers)."""
        return cls(service, {klass.__name__: klass for klass in classes})

    def class_for(self, code: Optional[str]) -> Type[CASServerError]:
        """The class for ``code`` (exact match), else ``CASServerError``."""
        if not code:
            return CASServerError
        return self._codes.get(code, CASServerError)

    def is_retryable(self, code: Optional[str]) -> bool:
        return bool(code) and code in self.retryable_codes

    def error_code(self, code: str) -> ErrorCode:
        """``code`` carrying this table's retry verdict (what ``HttpResponse.error_code`` returns)."""
        return ErrorCode(code, retryable=self.is_retryable(code))

    def codes(self) -> Dict[str, Type[CASServerError]]:
        """A copy of the code -> class mapping."""
        return dict(self._codes)

    def __contains__(self, code: object) -> bool:
        return code in self._codes

    def __len__(self) -> int:
        return len(self._codes)

    def __repr__(self) -> str:
        return f"<ErrorTable {self.service} ({len(self._codes)} codes)>"


#: the table of a service that documents no codes: every error is a plain ``CASServerError``
NO_CODES = ErrorTable("none", {})


@attrs.frozen
class ErrorDecoder:
    """How one service's error answers are read (``parser``) and typed (``table``). Immutable."""

    parser: ErrorParser = parse_json_error
    table: ErrorTable = NO_CODES

    def parse(self, status: int, headers: Mapping[str, str], body: bytes) -> ParsedError:
        return self.parser(status, headers, body)

    def code_of(self, status: int, headers: Mapping[str, str], body: bytes) -> Optional[ErrorCode]:
        """The answer's error code with the table's retry verdict, or None when it names none."""
        code = self.parse(status, headers, body).code
        return self.table.error_code(code) if code else None

    def decode(
        self,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        *,
        request_id: Optional[str] = None,
        operation: Optional[str] = None,
        resource: Optional[str] = None,
        local_path: Optional[str] = None,
    ) -> CASServerError:
        """The most specific exception for a non-2xx answer; ``request_id`` (from the headers)
        wins over one found in the body."""
        parsed = self.parse(status, headers, body)
        klass = self.table.class_for(parsed.code)
        return klass(
            status,
            parsed.code,
            parsed.message,
            parsed.type,
            request_id or parsed.request_id,
            body,
            operation=operation,
            resource=resource,
            local_path=local_path,
        )
