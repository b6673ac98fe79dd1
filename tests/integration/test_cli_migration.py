"""Every row of the migration table in README.md (the command-line section), run in both cascmd forms.

The original cascmd's command (its names, options and argument order) is given to our cascmd, and
so is our own form; each must succeed and do what the row says, against the bundled emulator.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Tuple

import attrs
import pytest

from cassdk_like import CasAPI, CASClient, Vault
from cassdk_like.core.integrity import MiB, hash_file
from cassdk_like.emulator import Emulator
from tests.helpers.cascmd import ROOT, Ran, run_cascmd

SIZE = 3 * MiB + 5


README = ROOT / "README.md"
MARKERS = ("<!-- migration-table -->", "<!-- end migration-table -->")


def _table() -> List[Tuple[str, str]]:
    """(original, ours) of each row, as written in the README."""
    text = README.read_text(encoding="utf-8")
    body = text.split(MARKERS[0])[1].split(MARKERS[1])[0]
    rows = []
    for line in body.strip().splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        original, ours = (re.search(r"`([^`]+)`", cells[i]).group(1) for i in (0, 2))  # type: ignore[union-attr]
        rows.append((original, ours))
    return rows


ROWS = _table()


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(job_delay_scale=0) as emu:
        yield emu


@attrs.define
class World:
    """What the placeholders of a row stand for, made fresh for each run."""

    vault: str
    file: Path
    out: Path
    archive: str = ""
    job: str = ""
    upload: str = ""
    config: Path = Path()

    def words(self, command: str) -> List[str]:
        tree = hash_file(self.file).tree_hash
        values = {
            "V": self.vault, "cas://V": f"cas://{self.vault}", "F": str(self.file), "OUT": str(self.out),
            "A": self.archive, "J": self.job, "U": self.upload, "SIZE": str(SIZE), "TREE": tree,
            "E": "http://127.0.0.1:1", "I": "an-id", "K": "a-key", "D": "nightly",
        }  # fmt: skip
        words = shlex.split(command)
        assert words[0] in ("cascmd", "cascmd.py"), command
        return [_substitute(word, values) for word in words[1:]]


def _substitute(word: str, values: Dict[str, str]) -> str:
    flag, equals, value = word.partition("=")
    if equals and flag.startswith("--"):
        return f"{flag}={values.get(value, value)}"
    return values.get(word, word)


def _make_world(emu: Emulator, tmp: Path, name: str, command: str) -> World:
    """A vault holding an archive, a finished job on it and a complete but open upload of F."""
    data = os.urandom(SIZE)
    world = World(vault=name, file=tmp / "F.bin", out=tmp / "OUT.bin", config=tmp / "config")
    world.file.write_bytes(data)
    with CASClient(emu.endpoint, emu.appid, emu.secret_id, emu.secret_key) as client:
        api = CasAPI(client)
        if command in ("cv", "create-vault"):
            return world  # the vault is to be made
        vault = Vault.create(api, name)
        if command in ("delete_vault", "delete-vault"):
            return world  # an empty vault
        world.archive = vault.upload_archive(str(world.file), "setup")
        world.job = vault.retrieve_archive(world.archive).id
        upload = vault.initiate_multipart_upload(str(world.file), part_size=MiB)
        for start in range(0, SIZE, MiB):
            with open(world.file, "rb") as stream:
                stream.seek(start)
                upload.upload_part((start, min(start + MiB, SIZE) - 1), stream)
        world.upload = upload.id
    return world


def _check_output_id(ran: Ran, world: World, emu: Emulator) -> None:
    assert re.fullmatch(r"\S+", ran.text), ran.out


def _check(command: str) -> Callable[[Ran, World, Emulator], None]:
    def created(ran: Ran, world: World, emu: Emulator) -> None:
        assert ran.text == f"created vault {world.vault}"

    def listed(ran: Ran, world: World, emu: Emulator) -> None:
        assert world.vault in ran.out

    def described(ran: Ran, world: World, emu: Emulator) -> None:
        assert json.loads(ran.out)["VaultName"] == world.vault

    def fetched(ran: Ran, world: World, emu: Emulator) -> None:
        data = world.file.read_bytes()
        assert world.out.read_bytes() in (data, data[:MiB])  # whole, or the 1 MiB range (checked below)
        assert ran.text.startswith("saved ")

    def hashed(ran: Ran, world: World, emu: Emulator) -> None:
        assert (
            hash_file(world.file, 0, MiB).tree_hash in ran.out or hash_file(world.file).tree_hash in ran.out
        )

    def configured(ran: Ran, world: World, emu: Emulator) -> None:
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(world.config)
        assert dict(parser.items("default")) == {
            "endpoint": "http://127.0.0.1:1", "appid": "1", "secret_id": "an-id", "secret_key": "a-key",
        }  # fmt: skip

    def aborted(ran: Ran, world: World, emu: Emulator) -> None:
        assert ran.text == f"aborted upload {world.upload}"

    def deleted(ran: Ran, world: World, emu: Emulator) -> None:
        assert ran.text.startswith("deleted ")

    def parts(ran: Ran, world: World, emu: Emulator) -> None:
        assert "0-1048575" in ran.out

    def uploads(ran: Ran, world: World, emu: Emulator) -> None:
        assert world.upload in ran.out

    def jobs(ran: Ran, world: World, emu: Emulator) -> None:
        assert world.job in ran.out

    checks: Dict[str, Callable[[Ran, World, Emulator], None]] = {
        "config": configured, "ls": listed, "create-vault": created, "cv": created,
        "desc-vault": described, "desc_vault": described, "desc-job": jobs,
        "desc_job": jobs, "list-jobs": jobs, "list_job": jobs,
        "fetch": fetched, "file-tree-etag": hashed, "file_tree_etag": hashed, "part-tree-etag": hashed,
        "part_tree_etag": hashed, "list-uploads": uploads, "list_multipart_upload": uploads,
        "list-parts": parts, "list_part": parts, "abort-upload": aborted, "abort_multipart_upload": aborted,
        "delete-archive": deleted, "delete_archive": deleted, "rm": deleted, "delete-vault": deleted,
        "delete_vault": deleted,
    }  # fmt: skip
    return checks.get(command, _check_output_id)


@pytest.mark.parametrize("form", ["original", "cascmd"])
@pytest.mark.parametrize(("original", "ours"), ROWS, ids=[row[1] for row in ROWS])
def test_migration_row(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, original: str, ours: str, form: str
) -> None:
    command = original if form == "original" else ours
    verb = shlex.split(command)[1]
    name = f"mig-{abs(hash((command, form))) % 10**8}"
    world = _make_world(emulator, tmp_path, name, verb)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("CASSDK_CONFIG", str(world.config))
    for key, value in (
        ("CAS_ENDPOINT", emulator.endpoint), ("CAS_APPID", emulator.appid),
        ("CAS_SECRET_ID", emulator.secret_id), ("CAS_SECRET_KEY", emulator.secret_key),
    ):  # fmt: skip
        monkeypatch.setenv(key, value)
    ran = run_cascmd(*world.words(command))
    assert ran.status == 0, f"{command}: {ran.err}"
    _check(verb)(ran, world, emulator)
    if verb == "fetch":
        data = world.file.read_bytes()
        assert world.out.read_bytes() == (data[:MiB] if "--size 1M" in command else data)
    if verb == "upload" and "U" in shlex.split(command.replace("=", " ")):
        assert run_cascmd("list-uploads", "-o", "json", world.vault).out.strip() == "[]"  # resumed to the end


def test_the_table_covers_every_command_of_the_original() -> None:
    originals = {shlex.split(original)[1] for original, _ in ROWS}
    expected = {
        "config", "ls", "cv", "desc_vault", "delete_vault", "rm", "upload", "delete_archive",
        "file_tree_etag", "part_tree_etag", "init_multipart_upload", "list_multipart_upload",
        "upload_part", "list_part", "complete_multipart_upload", "abort_multipart_upload",
        "create_job", "desc_job", "list_job", "fetch",
    }  # fmt: skip
    assert expected <= originals


def test_the_table_has_one_copy_in_the_readme_and_docs_point_to_it() -> None:
    readme = README.read_text(encoding="utf-8")
    assert all(readme.count(marker) == 1 for marker in MARKERS)
    section = readme.split("## The command line")[1].split("\n## ")[0]
    assert MARKERS[0] in section, "the table belongs to the README's command-line section"
    guide = (ROOT / "docs" / "cascmd.md").read_text(encoding="utf-8")
    migration = guide.split("## 4. Migration table")[1].split("\n## ")[0]
    assert "| original cascmd |" not in guide
    assert MARKERS[0] not in guide
    assert "../README.md#coming-from-the-original-cascmd-or-aws-glacier" in migration
    assert len(ROWS) >= 25
