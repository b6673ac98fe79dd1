"""Tokens and permissions over real HTTP: reduct-py's token calls, the 401/403 sentences, prefix
wildcards, expiry, IP allow-lists, the removal rules, and the server with authentication off."""

from __future__ import annotations

import re
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Iterator

import pytest
from reduct import Client, Permissions, ReductError

from cassdk_like.emulator import Emulator
from tests.integration.reduct.emulator.reduct_raw import HAS_ROTATE, Raw, error_of, run


@pytest.fixture
def admin(reduct_url: str, reduct_token: str) -> Iterator[Raw]:
    made = Raw(reduct_url, reduct_token)
    yield made
    made.close()


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _create(admin: Raw, name: str, **body: object) -> str:
    response = admin.post(f"/tokens/{name}", json=body)
    assert response.status_code == 200, response.headers.get("x-reduct-error")
    return str(response.json()["value"])


def test_token_calls_in_reduct_py(reduct_url: str, reduct_token: str) -> None:
    name = _name("reader")

    async def scenario() -> None:
        admin = Client(reduct_url, api_token=reduct_token)
        value = await admin.create_token(
            name, Permissions(full_access=False, read=["data-*"], write=["logs"])
        )
        assert re.fullmatch(rf"{re.escape(name)}-[0-9a-f]{{32}}", value)
        token = await admin.get_token(name)
        assert token.name == name
        assert token.permissions.read == ["data-*"]
        assert token.permissions.write == ["logs"]
        assert not token.permissions.full_access
        assert token.is_provisioned is False
        assert abs(token.created_at.timestamp() - time.time()) < 60
        listed = await admin.get_token_list()
        assert [t.name for t in listed] == sorted(t.name for t in listed)
        assert {"init-token", name} <= {t.name for t in listed}
        me = await Client(reduct_url, api_token=value).me()
        assert me.name == name
        assert me.permissions.read == ["data-*"]
        if HAS_ROTATE:
            rotated = await admin.rotate_token(name)
            assert rotated != value
            assert rotated.startswith(name + "-")
            assert (await Client(reduct_url, api_token=rotated).me()).name == name
            with pytest.raises(ReductError) as old:
                await Client(reduct_url, api_token=value).me()
            assert (old.value.status_code, old.value.message) == (401, "Invalid token")
        await admin.remove_token(name)
        with pytest.raises(ReductError) as gone:
            await admin.get_token(name)
        assert (gone.value.status_code, gone.value.message) == (404, f"Token '{name}' doesn't exist")
        me_admin = await admin.me()
        assert me_admin.name == "init-token"
        assert me_admin.permissions.full_access
        assert me_admin.is_provisioned is True

    run(scenario())


def test_token_documents_show_no_value_and_every_field(admin: Raw) -> None:
    name = _name("doc")
    expires = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    body = {
        "permissions": {"full_access": False, "read": ["a"], "write": []},
        "expires_at": expires,
        "ttl": 600,
    }
    created = admin.post(f"/tokens/{name}", json={**body, "ip_allowlist": ["127.0.0.1"]})
    assert created.status_code == 200
    assert set(created.json()) == {"value", "created_at"}
    doc = admin.get(f"/tokens/{name}").json()
    assert doc["value"] == ""
    assert set(doc) == {
        "name", "value", "created_at", "permissions", "is_provisioned", "expires_at", "ttl",
        "last_access", "ip_allowlist", "is_expired",
    }  # fmt: skip
    assert doc["ttl"] == 600
    assert doc["ip_allowlist"] == ["127.0.0.1"]
    assert doc["created_at"].endswith("Z")
    assert doc["is_expired"] is False
    assert all(t["value"] == "" for t in admin.get("/tokens").json()["tokens"])


def test_values_are_stored_hashed(reduct_emulator: Emulator, admin: Raw) -> None:
    name = _name("hashed")
    value = _create(admin, name, full_access=False, read=[], write=[])  # the v1 (flat) body
    secrets = [str(r["secret"]) for r in reduct_emulator.environment.db.rows("SELECT secret FROM rs_tokens")]
    assert all(s.startswith("sha256:") for s in secrets)
    assert all(value not in s and "reduct-init-secret" not in s for s in secrets)
    assert "reduct-init-secret" not in repr(reduct_emulator) + repr(reduct_emulator.reduct_service.settings)


def test_authentication_failures_are_401(admin: Raw) -> None:
    nobody = admin.with_token(None)
    assert error_of(nobody.get("/info")) == (401, "No bearer token in request header")
    assert error_of(nobody.get("/info", headers={"Authorization": "Basic abc"})) == (
        401,
        "No bearer token in request header",
    )
    assert error_of(admin.with_token("wrong").get("/list")) == (401, "Invalid token")
    assert nobody.get("/alive").status_code == 200  # health checks need no token
    assert nobody.request("HEAD", "/ready").status_code == 200


def test_policies_refuse_with_403(admin: Raw, reduct_bucket_name: str) -> None:
    bucket = reduct_bucket_name
    assert admin.post(f"/b/{bucket}").status_code == 200
    assert admin.post(f"/b/{bucket}/e?ts=1", data=b"x").status_code == 200
    name = _name("ro")
    reader = admin.with_token(
        _create(admin, name, permissions={"full_access": False, "read": [bucket], "write": []})
    )
    assert reader.get(f"/b/{bucket}/e?ts=1").content == b"x"
    assert error_of(reader.post(f"/b/{bucket}/e?ts=2", data=b"y")) == (
        403,
        f"Token '{name}' doesn't have write access to bucket '{bucket}'",
    )
    assert error_of(reader.post(f"/b/{_name('new')}")) == (403, f"Token '{name}' doesn't have full access")
    assert error_of(reader.get("/tokens")) == (403, f"Token '{name}' doesn't have full access")
    writer_name = _name("wo")
    writer = admin.with_token(
        _create(admin, writer_name, permissions={"full_access": False, "read": [], "write": [bucket]})
    )
    assert writer.post(f"/b/{bucket}/e?ts=3", data=b"z").status_code == 200  # write does not imply read
    assert error_of(writer.get(f"/b/{bucket}/e?ts=3")) == (
        403,
        f"Token '{writer_name}' doesn't have read access to bucket '{bucket}'",
    )
    assert writer.request("HEAD", f"/b/{bucket}").status_code == 200  # any token may check existence


def test_prefix_wildcards_never_match_system_buckets(admin: Raw) -> None:
    prefix = f"w{uuid.uuid4().hex[:6]}"
    for bucket in (f"{prefix}-a", f"{prefix}-b", f"other{prefix}"):
        assert admin.post(f"/b/{bucket}").status_code == 200
    name = _name("wild")
    value = _create(admin, name, permissions={"full_access": False, "read": [f"{prefix}-*"], "write": ["*"]})
    token = admin.with_token(value)
    listed = {b["name"] for b in token.get("/list").json()["buckets"]}
    assert {f"{prefix}-a", f"{prefix}-b"} <= listed
    assert f"other{prefix}" not in listed
    assert token.get(f"/b/{prefix}-a").status_code == 200
    assert error_of(token.get(f"/b/other{prefix}"))[0] == 403
    assert token.post(f"/b/other{prefix}/e?ts=1", data=b"w").status_code == 200  # "*" writes anywhere...
    assert error_of(token.post("/b/$audit/e?ts=1", data=b"w")) == (  # ...but never into a $ bucket
        403,
        f"Token '{name}' doesn't have write access to bucket '$audit'",
    )
    system = admin.with_token(_create(admin, _name("sys"), permissions={"read": ["$audit"], "write": []}))
    assert error_of(system.get("/b/$audit")) == (404, "Bucket '$audit' is not found")  # allowed, then missing


def test_token_create_rules(admin: Raw) -> None:
    name = _name("dup")
    _create(admin, name, permissions={"read": []})
    assert error_of(admin.post(f"/tokens/{name}", json={"permissions": {}})) == (
        409,
        f"Token '{name}' already exists",
    )
    bad = admin.post(f"/tokens/{_name('bad')}", json={"permissions": {"read": ["no spaces"]}})
    assert error_of(bad) == (422, "Permission can contain only bucket names or wildcard '*', got 'no spaces'")
    assert error_of(admin.post(f"/tokens/{_name('ttl')}", json={"permissions": {}, "ttl": 0})) == (
        422,
        "Token TTL must be greater than zero",
    )
    past = {"permissions": {}, "expires_at": "2020-01-01T00:00:00Z"}
    assert error_of(admin.post(f"/tokens/{_name('past')}", json=past)) == (
        422,
        "Token expiration date must not be in the past",
    )
    assert error_of(admin.post(f"/tokens/{_name('odd')}", json={"permissions": {}, "colour": 1})) == (
        422,
        "Invalid body",
    )
    assert error_of(admin.post(f"/tokens/{_name('junk')}", data=b"not json")) == (422, "Invalid body")


def test_expired_tokens_are_401(admin: Raw) -> None:
    soon = (datetime.now(timezone.utc) + timedelta(seconds=1)).isoformat()
    expiring = admin.with_token(_create(admin, _name("exp"), permissions={}, expires_at=soon))
    idle = admin.with_token(_create(admin, _name("idle"), permissions={}, ttl=1))
    busy_name = _name("busy")
    busy = admin.with_token(_create(admin, busy_name, permissions={}, ttl=1))
    assert expiring.get("/me").status_code == 200
    for _ in range(3):  # inactivity counts from the last use
        time.sleep(0.7)
        assert busy.get("/me").status_code == 200
    time.sleep(0.2)
    assert error_of(expiring.get("/me")) == (401, "Token has expired")
    assert error_of(idle.get("/me")) == (401, "Token has expired")
    assert busy.get("/me").json()["name"] == busy_name
    listed = {t["name"]: t for t in admin.get("/tokens").json()["tokens"]}
    assert listed[busy_name]["is_expired"] is False
    assert listed[busy_name]["last_access"] is not None


def test_ip_allowlist(admin: Raw) -> None:
    local = admin.with_token(_create(admin, _name("local"), permissions={}, ip_allowlist=["127.0.0.0/8"]))
    assert local.get("/me").status_code == 200
    far = admin.with_token(
        _create(admin, _name("far"), permissions={}, ip_allowlist=["10.1.2.3", "192.168.0.0/16"])
    )
    assert error_of(far.get("/me")) == (401, "Token is not allowed for client IP 127.0.0.1")


def test_removal_rules(admin: Raw) -> None:
    assert error_of(admin.request("DELETE", "/tokens/init-token")) == (
        409,
        "Can't remove provisioned token 'init-token'",
    )
    assert error_of(admin.request("DELETE", f"/tokens/{_name('none')}"))[0] == 404
    if HAS_ROTATE:
        assert error_of(admin.post("/tokens/init-token/rotate")) == (
            409,
            "Can't rotate provisioned token 'init-token'",
        )


def test_the_last_full_access_token_stays() -> None:
    with Emulator(reduct_api_token="only-init") as emu:
        raw = Raw(emu.endpoints["reduct"], "only-init")
        other = raw.with_token(_create(raw, "root", permissions={"full_access": True}))
        # a repository without the provisioned token (as after RS_API_TOKEN is unset on the server)
        with emu.environment.db.tx() as conn:
            conn.execute("DELETE FROM rs_tokens WHERE name = 'init-token'")
        assert error_of(other.request("DELETE", "/tokens/root")) == (
            409,
            "Can't remove token 'root': at least one full-access token must remain",
        )
        raw.close()


def test_removing_a_bucket_strips_it_from_tokens(admin: Raw, reduct_bucket_name: str) -> None:
    assert admin.post(f"/b/{reduct_bucket_name}").status_code == 200
    name = _name("strip")
    _create(admin, name, permissions={"read": [reduct_bucket_name, "keep"], "write": [reduct_bucket_name]})
    assert admin.request("DELETE", f"/b/{reduct_bucket_name}").status_code == 200
    permissions = admin.get(f"/tokens/{name}").json()["permissions"]
    assert (permissions["read"], permissions["write"]) == (["keep"], [])


@pytest.fixture(scope="module")
def open_emulator() -> Iterator[Emulator]:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("RS_API_TOKEN", raising=False)
        emulator = Emulator()
    with emulator:
        yield emulator


def test_without_an_init_token_authentication_is_disabled(open_emulator: Emulator) -> None:
    assert open_emulator.reduct_api_token is None
    url = open_emulator.endpoints["reduct"]
    raw = Raw(url)

    async def scenario() -> None:
        client = Client(url)
        me = await client.me()
        assert me.name == "AUTHENTICATION-DISABLED"
        assert me.permissions.full_access
        assert await client.get_token_list() == []
        with pytest.raises(ReductError) as info:
            await client.create_token("x", Permissions(full_access=True, read=[], write=[]))
        assert (info.value.status_code, info.value.message) == (400, "Authentication is disabled")

    run(scenario())
    assert raw.post("/b/open-bucket").status_code == 200  # anything goes
    assert error_of(raw.get("/tokens/x")) == (400, "Authentication is disabled")
    assert error_of(raw.post("/tokens/x/rotate")) == (400, "Authentication is disabled")
    assert raw.request("DELETE", "/tokens/x").status_code == 200
    assert raw.with_token("whatever").get("/info").status_code == 200
    raw.close()


def test_the_environment_variable_sets_the_init_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RS_API_TOKEN", "from-the-env")
    with Emulator() as emu:
        assert emu.reduct_api_token == "from-the-env"
        raw = Raw(emu.endpoints["reduct"], "from-the-env")
        assert raw.get("/me").json()["name"] == "init-token"
        raw.close()
