"""Fixtures for every test: nothing from the developer's or CI's environment leaks into a client."""

from __future__ import annotations

from pathlib import Path

import pytest

#: endpoint, account, credentials and proxy settings a client would otherwise pick up
_ENV = (
    "CAS_ENDPOINT", "CAS_APPID", "CAS_SECRET_ID", "CAS_SECRET_KEY", "CAS_DIALECT", "AWS_REGION",
    "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "COS_ENDPOINT", "COS_REGION", "COS_APPID",
    "COS_SECRET_ID", "COS_SECRET_KEY", "COS_SESSION_TOKEN", "RS_API_TOKEN",
    "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy",
)  # fmt: skip


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CASSDK_CONFIG", str(tmp_path / "no-such-config"))
