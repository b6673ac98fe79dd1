"""The server endpoints over real HTTP: the headers every response carries, info, alive."""

from __future__ import annotations

import asyncio

import requests
from reduct import Client

API = "/api/v1"


def test_info_parses_in_reduct_py(reduct_url: str, reduct_token: str) -> None:
    info = asyncio.run(Client(reduct_url, api_token=reduct_token).info())
    assert info.version == "1.21.0"
    assert info.defaults.bucket.max_block_size == 64000000
    assert info.defaults.bucket.max_block_records == 1024
    assert info.defaults.bucket.quota_size == 0


def test_every_response_names_the_server_and_api_version(reduct_url: str) -> None:
    for method, path in (("GET", "/alive"), ("HEAD", "/ready"), ("GET", "/no-such-thing")):
        response = requests.request(method, reduct_url + API + path, timeout=10)
        assert response.headers["x-reduct-api"] == "1.21"
        assert response.headers["Server"] == "ReductStore 1.21.0"
    assert requests.get(reduct_url + API + "/alive", timeout=10).status_code == 200


def test_an_unknown_path_is_a_404_with_the_error_header_and_body(reduct_url: str) -> None:
    response = requests.get(reduct_url + API + "/nothing-here", timeout=10)
    assert response.status_code == 404
    assert response.headers["x-reduct-error"] == "Not found"
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found"}
