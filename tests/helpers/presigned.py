"""Using a presigned URL against the bundled emulator in either bucket dialect."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests

from cassdk_like.emulator import Emulator


def fetch_presigned(
    http: requests.Session, method: str, url: str, emu: Emulator, dialect: str, **kwargs: object
) -> requests.Response:
    """S3's URL points at the emulator; COS's names the bucket host, so the request goes to the
    emulator's port with that Host (as the URL was signed for it)."""
    if dialect == "s3":
        return http.request(method, url, timeout=10, **kwargs)  # type: ignore[arg-type]
    parts = urlsplit(url)
    target = emu.endpoints["cos"] + parts.path + "?" + parts.query
    headers = dict(kwargs.pop("headers", {}) or {})  # type: ignore[call-overload]
    headers["Host"] = parts.netloc
    return http.request(method, target, headers=headers, timeout=10, **kwargs)  # type: ignore[arg-type]
