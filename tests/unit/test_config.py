"""Credentials resolve from arguments, then environment, then the profile file; secrets never print."""

from __future__ import annotations

from pathlib import Path

import pytest

from cassdk_like.core.config import Credentials, load_profile, resolve_credentials, resolve_endpoint
from cassdk_like.core.exceptions import InvalidArgumentError, MissingCredentialsError

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


ENV = {"CAS_SECRET_ID": "env-id", "CAS_SECRET_KEY": "env-key"}
AWS = {"AWS_ACCESS_KEY_ID": "aws-id", "AWS_SECRET_ACCESS_KEY": "aws-key", "AWS_SESSION_TOKEN": "aws-tok"}


def test_a_lone_secret_key_argument_is_used_with_the_environments_id(tmp_path: Path) -> None:
    creds = resolve_credentials(secret_key="arg-key", environ=ENV, config_path=tmp_path / "none")
    assert (creds.secret_id, creds.secret_key) == ("env-id", "arg-key")


def test_a_lone_secret_id_argument_is_used_with_the_environments_key(tmp_path: Path) -> None:
    creds = resolve_credentials(secret_id="arg-id", environ=ENV, config_path=tmp_path / "none")
    assert (creds.secret_id, creds.secret_key) == ("arg-id", "env-key")


def test_glacier_lone_key_argument_drops_the_environments_session_token(tmp_path: Path) -> None:
    """The environment's token belongs to the environment's key, not to the key passed in."""
    creds = resolve_credentials(
        secret_key="arg-key", dialect="glacier", environ=AWS, config_path=tmp_path / "n"
    )
    assert (creds.secret_id, creds.secret_key, creds.session_token) == ("aws-id", "arg-key", None)
    same = resolve_credentials(secret_id="arg-id", dialect="glacier", environ=AWS, config_path=tmp_path / "n")
    assert (same.secret_id, same.secret_key, same.session_token) == ("arg-id", "aws-key", "aws-tok")


def test_each_field_falls_back_from_environment_to_profile(tmp_path: Path) -> None:
    cfg = _profile(tmp_path, "[default]\nsecret_id = file-id\nsecret_key = file-key\nsession_token = t\n")
    only_key = resolve_credentials(environ={"CAS_SECRET_KEY": "env-key"}, config_path=cfg)
    assert (only_key.secret_id, only_key.secret_key, only_key.session_token) == ("file-id", "env-key", None)
    only_id = resolve_credentials(environ={"CAS_SECRET_ID": "env-id"}, config_path=cfg)
    assert (only_id.secret_id, only_id.secret_key, only_id.session_token) == ("env-id", "file-key", "t")
    arg_key = resolve_credentials(secret_key="arg-key", environ={}, config_path=cfg)
    assert (arg_key.secret_id, arg_key.secret_key) == ("file-id", "arg-key")


def test_a_half_pair_with_nothing_to_complete_it_names_the_missing_field(tmp_path: Path) -> None:
    with pytest.raises(MissingCredentialsError) as info:
        resolve_credentials(secret_key=SECRET, environ={}, config_path=tmp_path / "absent")
    assert "no secret_id" in str(info.value)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize("field", ["secret_id", "secret_key", "session_token"])
@pytest.mark.parametrize("value", [b"bytes-secret", 12345])
def test_a_non_string_credential_is_a_typed_error_that_hides_the_value(field: str, value: object) -> None:
    kwargs = {"secret_id": "AKID", "secret_key": "key", field: value}
    with pytest.raises(InvalidArgumentError) as info:
        resolve_credentials(**kwargs, environ={})  # type: ignore[arg-type]
    assert f"{field} must be a str, not {type(value).__name__}" in str(info.value)
    assert str(value) not in str(info.value)
