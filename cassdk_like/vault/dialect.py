"""A vault dialect = a wire profile (core) + the vault schema + the vault's error table.

``CASClient(dialect="cas" | "glacier")`` picks one; ``client.dialect`` / ``CasAPI.dialect`` expose it
so the vault code asks one object for a header name (``h("archive-id")``), a field name
(``qcs_field``) or the typed error of an answer (``parse_error``).
"""

from __future__ import annotations

import time
from typing import Callable, FrozenSet, Optional, Tuple, Union

import attrs

from cassdk_like.core.auth.signers import SignCallback
from cassdk_like.core.config import Credentials
from cassdk_like.core.errortable import ErrorDecoder
from cassdk_like.core.exceptions import CASServerError, InvalidArgumentError
from cassdk_like.core.http.response import HttpResponse
from cassdk_like.core.wire import CAS_WIRE, GLACIER_WIRE, WireProfile
from cassdk_like.vault.errors import VAULT_ERRORS
from cassdk_like.vault.schema import CAS_SCHEMA, GLACIER_SCHEMA, VaultSchema

__all__ = ["CAS", "GLACIER", "VaultDialect", "get_dialect"]


@attrs.frozen
class VaultDialect:
    """One vault dialect. Immutable, so thread-safe and shareable between clients."""

    wire: WireProfile
    schema: VaultSchema
    errors: ErrorDecoder = attrs.field(eq=False, repr=False)

    @errors.default
    def _errors_from_wire(self) -> ErrorDecoder:
        return ErrorDecoder(self.wire.error_parser, VAULT_ERRORS)

    # -- wire facts -----------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The dialect's name ("cas" or "glacier")."""
        return self.wire.name

    @property
    def header_prefix(self) -> str:
        """The prefix of the service's own headers (``x-cas-`` or ``x-amz-``)."""
        return self.wire.header_prefix

    @property
    def request_id_header(self) -> str:
        """The header carrying the request id."""
        return self.wire.request_id_header

    @property
    def fixed_headers(self) -> Tuple[Tuple[str, str], ...]:
        """Headers every request carries."""
        return self.wire.fixed_headers

    def h(self, suffix: str) -> str:
        """A dialect header name: ``h("sha256-tree-hash") -> "x-cas-sha256-tree-hash"``."""
        return self.wire.h(suffix)

    def resolve_region(self, region: Optional[str], host: str) -> str:
        """The region to sign for: ``region`` if given, else the one in ``host``."""
        return self.wire.resolve_region(region, host)

    def signer(
        self, credentials: Credentials, region: str, clock: Callable[[], float] = time.time
    ) -> SignCallback:
        """A request signer for ``credentials`` in ``region`` (``clock`` for tests)."""
        return self.wire.signer(credentials, region, clock)

    # -- vault schema ---------------------------------------------------------------------------

    @property
    def qcs_field(self) -> str:
        """The JSON field holding a vault's resource name (``VaultQCS`` or ``VaultARN``)."""
        return self.schema.qcs_field

    @property
    def policy_field(self) -> str:
        """The JSON field holding an access policy."""
        return self.schema.policy_field

    @property
    def callback_field(self) -> str:
        """The JSON field of a job's callback URL."""
        return self.schema.callback_field

    @property
    def job_types(self) -> FrozenSet[str]:
        """The job types this dialect accepts."""
        return self.schema.job_types

    @property
    def default_uid(self) -> Optional[str]:
        """The uid used when none is given."""
        return self.schema.default_uid

    def account(self, appid: Optional[str], uid: Optional[str]) -> str:
        """The ``/<UID>`` path segment: ``uid``, else the dialect default, else ``appid``, else ``-``."""
        return self.schema.account(appid, uid)

    # -- errors ---------------------------------------------------------------------------------

    def parse_error(
        self, response: HttpResponse, *, operation: Optional[str] = None, resource: Optional[str] = None
    ) -> CASServerError:
        """The typed vault error for a non-2xx response (tolerates any body: docs/original-sdk-defects.md #4).

        ``operation``/``resource`` default to the labels the request carried.
        """
        return self.errors.decode(
            response.status,
            response.headers,
            response.body,
            request_id=response.request_id,
            operation=operation or response.operation or None,
            resource=resource or response.resource or None,
        )


CAS = VaultDialect(CAS_WIRE, CAS_SCHEMA)
GLACIER = VaultDialect(GLACIER_WIRE, GLACIER_SCHEMA)

_BY_NAME = {dialect.name: dialect for dialect in (CAS, GLACIER)}


def get_dialect(name: Union[str, VaultDialect]) -> VaultDialect:
    """Look a dialect up by name ("cas" or "glacier", any case); a VaultDialect is returned as is."""
    if isinstance(name, VaultDialect):
        return name
    dialect = _BY_NAME.get(str(name).strip().lower())
    if dialect is None:
        raise InvalidArgumentError(f"unknown dialect {name!r}; expected one of {sorted(_BY_NAME)}")
    return dialect
