"""The vault API's JSON and path vocabulary in each dialect: what is not a wire fact.

CAS and Glacier share the vault API but name some fields differently (``VaultQCS``/``VaultARN``,
``policy``/``Policy``, ``CallBackUrl``/``SNSTopic``), offer different job types, and default the
account path segment differently.  Keeping these here, beside the code that builds the bodies,
stops ``if dialect == ...`` spreading through the client.
"""

from __future__ import annotations

from typing import FrozenSet, Optional

import attrs

__all__ = ["CAS_SCHEMA", "GLACIER_SCHEMA", "VaultSchema"]


@attrs.frozen(kw_only=True)
class VaultSchema:
    """Field names, job types and the default account of one vault dialect. Immutable."""

    qcs_field: str
    policy_field: str
    callback_field: str
    job_types: FrozenSet[str]
    #: account path segment when no uid is given; ``None`` means "the appid" (the original CAS SDK)
    default_uid: Optional[str]

    def account(self, appid: Optional[str], uid: Optional[str]) -> str:
        """The ``/<UID>`` path segment: explicit uid, else the dialect default, else the appid, else ``-``."""
        if uid:
            return uid
        if self.default_uid is not None:
            return self.default_uid
        return appid or "-"


CAS_SCHEMA = VaultSchema(
    qcs_field="VaultQCS",
    policy_field="policy",
    callback_field="CallBackUrl",
    job_types=frozenset({"archive-retrieval", "inventory-retrieval", "push-to-cos", "pull-from-cos"}),
    default_uid=None,
)

GLACIER_SCHEMA = VaultSchema(
    qcs_field="VaultARN",
    policy_field="Policy",
    callback_field="SNSTopic",
    job_types=frozenset({"archive-retrieval", "inventory-retrieval"}),
    default_uid="-",
)
