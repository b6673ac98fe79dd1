"""The server endpoints over real HTTP: the headers every response carries, info, alive."""

from __future__ import annotations

import asyncio

import requests
from reduct import Client

from cassdk_like.emulator import Emulator

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


def test_the_admin_info_names_the_service_without_the_token(
    reduct_emulator: Emulator, reduct_token: str
) -> None:
    info = reduct_emulator.info()
    assert info["services"]["reduct"] == {"version": "1.21.0", "api": "1.21", "auth": True}
    assert info["endpoints"]["reduct"] == reduct_emulator.endpoints["reduct"]
    assert reduct_token not in str(info) + repr(reduct_emulator)


def test_a_known_path_with_another_method_is_405(reduct_url: str, reduct_token: str) -> None:
    response = requests.patch(
        reduct_url + API + "/info", headers={"Authorization": f"Bearer {reduct_token}"}, timeout=10
    )
    assert (response.status_code, response.headers["x-reduct-error"]) == (405, "Method not allowed")
    assert response.headers["x-reduct-api"] == "1.21"


def test_a_sentence_that_cannot_be_a_header_keeps_its_body(reduct_url: str, reduct_token: str) -> None:
    response = requests.get(
        reduct_url + API + "/b/b\u00fccket", headers={"Authorization": f"Bearer {reduct_token}"}, timeout=10
    )
    assert response.status_code == 404
    assert response.headers["x-reduct-error"] == "Unparsable message"
    assert response.json() == {"detail": "Bucket 'b\u00fccket' is not found"}
