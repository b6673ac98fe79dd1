"""Settings: arguments, then environment, then the profile's [directio] section."""

from __future__ import annotations

from pathlib import Path

import pytest

from cassdk_like.core.exceptions import MissingCredentialsError
from cassdk_like.direct import ENV_ACCESS_KEY_ID, ENV_SECRET_ACCESS_KEY, ENV_URL, DirectIO
from cassdk_like.direct.settings import resolve_settings
from tests.unit.direct._fixture import SECRET


def _profile(tmp_path: Path) -> Path:
    path = tmp_path / "config"
    path.write_text(
        f"[directio]\nurl = https://p.example\naccess_key_id = prof-id\nsecret_access_key = {SECRET}\n"
    )
    return path


def test_arguments_win_then_environment_then_profile(tmp_path: Path) -> None:
    path = _profile(tmp_path)
    env = {ENV_ACCESS_KEY_ID: "env-id"}
    url, creds = resolve_settings(None, None, None, config_path=path, environ=env)
    assert (url, creds.access_key_id, creds.secret_access_key) == ("https://p.example", "env-id", SECRET)
    url, creds = resolve_settings("https://arg.example", "arg-id", None, config_path=path, environ=env)
    assert (url, creds.access_key_id) == ("https://arg.example", "arg-id")
    url, creds = resolve_settings(
        None,
        None,
        None,
        environ={ENV_URL: "https://e", ENV_ACCESS_KEY_ID: "i", ENV_SECRET_ACCESS_KEY: "s"},
        config_path=tmp_path / "none",
    )
    assert (url, creds) == ("https://e", ("i", "s"))


def test_a_missing_field_names_every_place(tmp_path: Path) -> None:
    with pytest.raises(MissingCredentialsError) as caught:
        DirectIO("https://p.example", environ={}, config_path=tmp_path / "none")
    text = str(caught.value)
    assert ENV_ACCESS_KEY_ID in text
    assert ENV_SECRET_ACCESS_KEY in text
    assert "[directio]" in text


def test_directio_builds_its_client_from_the_profile(tmp_path: Path) -> None:
    with DirectIO(environ={}, config_path=_profile(tmp_path)) as dio:
        assert dio.client.url == "https://p.example"
        assert SECRET not in repr(dio)
