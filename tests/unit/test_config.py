"""Credentials resolve from arguments, then environment, then the profile file; secrets never print."""

from __future__ import annotations

from pathlib import Path

import pytest

from cassdk_like.core.config import Credentials, load_profile, resolve_credentials, resolve_endpoint
from cassdk_like.core.exceptions import MissingCredentialsError

SECRET = "s3cr3t-KEY-value"


def _profile(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "config"
    path.write_text(body, encoding="utf-8")
    return path


def test_explicit_arguments_win_over_environment(tmp_path: Path) -> None:
    env = {"CAS_SECRET_ID": "env-id", "CAS_SECRET_KEY": "env-key"}
    creds = resolve_credentials("arg-id", "arg-key", environ=env, config_path=tmp_path / "none")
    assert (creds.secret_id, creds.secret_key) == ("arg-id", "arg-key")


def test_environment_wins_over_profile(tmp_path: Path) -> None:
    cfg = _profile(tmp_path, "[default]\nsecret_id = file-id\nsecret_key = file-key\n")
    env = {"CAS_SECRET_ID": "env-id", "CAS_SECRET_KEY": "env-key"}
    creds = resolve_credentials(environ=env, config_path=cfg)
    assert creds.secret_id == "env-id"


def test_profile_file_from_cassdk_config_variable(tmp_path: Path) -> None:
    cfg = _profile(
        tmp_path,
        "[default]\nsecret_id = a\nsecret_key = b\n[work]\nsecret_id = w-id\nsecret_key = w-key\n"
        "appid = 1250000000\nendpoint = cas.ap-chengdu.myqcloud.com\n",
    )
    env = {"CASSDK_CONFIG": str(cfg)}
    creds = resolve_credentials(profile="work", environ=env)
    assert (creds.secret_id, creds.secret_key) == ("w-id", "w-key")
    ep = resolve_endpoint(profile="work", environ=env)
    assert ep.appid == "1250000000"
    assert ep.endpoint == "cas.ap-chengdu.myqcloud.com"
    assert load_profile("missing", environ=env) == {}


def test_glacier_dialect_reads_aws_variables_with_session_token(tmp_path: Path) -> None:
    env = {"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": "tok-123"}
    creds = resolve_credentials(dialect="glacier", environ=env, config_path=tmp_path / "none")
    assert creds.session_token == "tok-123"
    assert "tok-123" not in repr(creds)


def test_missing_credentials_error_names_the_sources(tmp_path: Path) -> None:
    with pytest.raises(MissingCredentialsError) as info:
        resolve_credentials(environ={}, config_path=tmp_path / "absent")
    text = str(info.value)
    assert "CAS_SECRET_ID" in text
    assert str(tmp_path / "absent") in text


def test_repr_and_str_hide_the_secret_key() -> None:
    creds = Credentials("AKIDEXAMPLE", SECRET, "session-token-value")
    for text in (repr(creds), str(creds), f"{creds}"):
        assert SECRET not in text
        assert "session-token-value" not in text
        assert "AKIDEXAMPLE" in text
