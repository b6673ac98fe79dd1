"""``Archive``: an archive id within a vault (seed: ``Archive(vault, archive_id)``).

The service keeps no queryable index of archives (docs/vault-protocol.md §0), so an ``Archive`` is just the
pair; like the seed, nothing is checked until an operation uses it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import attrs

from cassdk_like.core.byterange import ByteRangeLike
from cassdk_like.vault.highlevel.response import CASResponse

if TYPE_CHECKING:
    from cassdk_like.vault.highlevel.job import Job
    from cassdk_like.vault.highlevel.vault import Vault

__all__ = ["Archive"]


@attrs.define(unsafe_hash=True)
class _ArchiveRecord:
    """The members of an ``Archive``; equal (and hashed) by vault name and archive id."""

    vault: Vault = attrs.field(repr=lambda v: repr(v.name))
    archive_id: str


class Archive(_ArchiveRecord):
    """Archive ``archive_id`` of ``vault``: what you retrieve, copy to COS or delete.

    ``Archive(vault, archive_id)`` sends nothing; an unknown id fails on first use with
    ``ResourceNotFoundException``. Equal (and hashed) by vault name and archive id; thread-safe.
    """

    __slots__ = ()

    def get_vault(self) -> Vault:
        """The ``Vault`` this archive lives in."""
        return self.vault

    def initiate_archive_retrieval(
        self,
        desc: Optional[str] = None,
        byte_range: Optional[ByteRangeLike] = None,
        tier: Optional[str] = None,
        *,
        archive_size: Optional[int] = None,
        callback_url: Optional[str] = None,
    ) -> Job:
        """Start retrieving this archive; returns the ``Job`` (see ``Vault.retrieve_archive``).

        ``byte_range`` (MiB-aligned; the end may be the last byte when ``archive_size`` is given)
        retrieves part of it; ``desc`` describes the job, ``tier`` picks the speed and
        ``callback_url`` is called when it finishes.
        """
        return self.vault.retrieve_archive(
            self.archive_id, desc, byte_range, tier, archive_size=archive_size, callback_url=callback_url
        )

    def push_to_cos(
        self,
        bucket_endpoint: str,
        object_name: str,
        byte_range: Optional[ByteRangeLike] = None,
        desc: Optional[str] = None,
        tier: Optional[str] = None,
    ) -> Job:
        """Start a push-to-cos job copying this archive to ``object_name`` in ``bucket_endpoint`` (CAS only).

        ``byte_range`` (MiB-aligned) copies part of it; ``desc`` describes the job; ``tier`` picks
        the speed.
        """
        return self.vault.push_archive_to_cos(
            self.archive_id, bucket_endpoint, object_name, desc, byte_range, tier
        )

    def delete(self) -> CASResponse:
        """Delete this archive from its vault."""
        return self.vault.delete_archive(self.archive_id)
