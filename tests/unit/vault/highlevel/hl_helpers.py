"""Shared data and ``responses`` callbacks for the domain-object unit tests."""

from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import parse_qsl, urlsplit

import attrs
import requests
import responses

from cassdk_like.core.integrity import MiB, is_tree_aligned, tree_hash
from cassdk_like.vault.highlevel import CasAPI, Vault

CAS_HOST = "cas.ap-chengdu.myqcloud.com"
CAS_APPID = "1250000000"
CAS_ID, CAS_KEY = "AKIDEXAMPLE", "EXAMPLESECRETKEY-DO-NOT-PRINT"
GLACIER_HOST = "glacier.us-west-2.amazonaws.com"
GLACIER_ID, GLACIER_KEY = "AKIDGLACIER", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
NOW = 1480932292

ANY = re.compile(r"https?://.*")
QCS = "qcs:id/0:cas:ap-chengdu:uid/1250000000:vaults/v1"
ARN = "arn:aws:glacier:us-west-2:012345678901:vaults/v1"


def url(pattern: str) -> re.Pattern[str]:
    """Any host, any account segment, then ``/vaults/<pattern>`` (query allowed)."""
    return re.compile(r"https?://[^/]+/[^/]+/vaults" + pattern + r"(\?.*)?$")


def vault_props(api: CasAPI, name: str = "v1", **extra: Any) -> Dict[str, Any]:
    props: Dict[str, Any] = {
        "CreationDate": "2017-03-20T17:03:43.221Z",
        "LastInventoryDate": None,
        "NumberOfArchives": None,
        "SizeInBytes": None,
        api.dialect.qcs_field: QCS if api.dialect.name == "cas" else ARN,
        "VaultName": name,
    }
    props.update(extra)
    return props


def make_vault(api: CasAPI, name: str = "v1") -> Vault:
    return Vault(api, vault_props(api, name))


def job_doc(api: CasAPI, job_id: str = "J1", **extra: Any) -> Dict[str, Any]:
    """A finished archive-retrieval job of a 3 MiB archive, overridable field by field."""
    doc: Dict[str, Any] = {
        "Action": "ArchiveRetrieval",
        "JobId": job_id,
        "JobDescription": "my job",
        api.dialect.callback_field: None,
        "CreationDate": "2017-08-29T08:29:41.000Z",
        "CompletionDate": "2017-08-29T09:29:41.000Z",
        "Completed": True,
        "StatusCode": "Succeeded",
        "StatusMessage": "Succeeded",
        api.dialect.qcs_field: QCS,
        "ArchiveId": "A1",
        "ArchiveSizeInBytes": 3 * MiB,
        "ArchiveSHA256TreeHash": "ab" * 32,
        "RetrievalByteRange": f"0-{3 * MiB - 1}",
        "SHA256TreeHash": "ab" * 32,
        "Tier": "Standard",
    }
    doc.update(extra)
    return doc


def in_progress(doc: Dict[str, Any]) -> Dict[str, Any]:
    return dict(doc, Completed=False, StatusCode="InProgress", CompletionDate=None)


@attrs.frozen
class Sent:
    method: str
    path: str
    query: Dict[str, str]
    headers: Dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


def sent(call: Any) -> Sent:
    request: requests.PreparedRequest = call.request
    parts = urlsplit(request.url or "")
    body: Any = request.body
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode()
    return Sent(
        method=request.method or "",
        path=parts.path,
        query=dict(parse_qsl(parts.query)),
        headers={k.lower(): v for k, v in request.headers.items()},
        body=bytes(body or b""),
    )


def calls(mock: responses.RequestsMock) -> List[Sent]:
    return [sent(call) for call in mock.calls]


@attrs.define
class OutputServer:
    """Get Job Output for ``data`` (the job's output) taken from an archive at ``offset``.

    ``header``: None never sends the per-range tree hash; else its name, sent on aligned ranges.
    ``corrupt`` flips one byte of every answer (the whole-output check must catch it).
    """

    data: bytes
    header: Optional[str] = "x-cas-sha256-tree-hash"
    offset: int = 0
    archive_size: Optional[int] = None
    corrupt: bool = False
    content_type: str = "application/octet-stream"
    ranges: List[Tuple[int, int]] = attrs.Factory(list)

    def __call__(self, request: requests.PreparedRequest) -> Tuple[int, Dict[str, str], bytes]:
        raw = request.headers.get("Range")
        total = len(self.data)
        headers = {"Content-Type": self.content_type}
        if raw is None:
            start, end, status = 0, total - 1, 200
        else:
            match = re.fullmatch(r"bytes=(\d+)-(\d+)", raw)
            assert match is not None
            start, end, status = int(match.group(1)), int(match.group(2)), 206
            headers["Content-Range"] = f"bytes {start}-{end}/{total}"
        self.ranges.append((start, end))
        body = bytearray(self.data[start : end + 1])
        size = self.archive_size if self.archive_size is not None else total
        if self.header and is_tree_aligned(self.offset + start, self.offset + end, size):
            headers[self.header] = tree_hash(bytes(body))
        if self.corrupt and body:
            body[0] ^= 0xFF
        return status, headers, bytes(body)


def pattern_bytes(size: int) -> bytes:
    """Byte i = (7 i) mod 251: the patterned test data of docs/vault-protocol.md §3.2."""
    return bytes((7 * i) % 251 for i in range(size))
