"""cascmd's argument helpers and the console progress callback, without a server."""

from __future__ import annotations

import argparse
import io
import shlex

import pytest

from cassdk_like import ConsoleProgress, ProgressEvent, console_progress
from cassdk_like.cli.args import command_line, parse_size, vault_name
from cassdk_like.cli.main import build_parser
from cassdk_like.cli.output import human_size
from cassdk_like.cli.transfer import parse_rate

DASHED = "-" + "Ab0_-" * 19  # 96 characters, as the service's ids may begin with '-'


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1048576", 1048576),
        ("16M", 16 << 20),
        ("16MiB", 16 << 20),
        ("1g", 1 << 30),
        ("4K", 4096),
        ("2T", 2 << 40),
    ],
)
def test_sizes_take_binary_units(text: str, value: int) -> None:
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["", "M", "1.5M", "-1", "16X"])
def test_bad_sizes_are_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_size(text)


def test_vaults_may_be_written_as_cas_urls() -> None:
    assert vault_name("cas://backups") == "backups"
    assert vault_name("CAS://backups/") == "backups"
    assert vault_name("backups") == "backups"
    for bad in ("cas://", "cas://a/b"):
        with pytest.raises(argparse.ArgumentTypeError):
            vault_name(bad)


def test_a_long_id_that_begins_with_a_dash_is_positional_without_double_dash() -> None:
    args = build_parser().parse_args(["fetch", "cas://v", DASHED, "out.bin", "--start", "0", "-f"])
    assert (args.vault, args.job_id, args.file, args.start, args.force) == ("v", DASHED, "out.bin", 0, True)
    with pytest.raises(SystemExit):  # a short unknown option is still an error
        build_parser().parse_args(["fetch", "v", "-x", "out.bin"])


def test_the_printed_command_repeats_the_connection_but_never_the_secret() -> None:
    args = build_parser().parse_args(
        [
            "upload",
            "--endpoint",
            "http://h:1",
            "--secret-key",
            "s3cr3t-value",
            "--profile",
            "p",
            "v",
            "my file",
        ]
    )
    line = command_line(args, "upload", args.vault, args.file, options=(f"--upload-id={DASHED}",))
    assert "s3cr3t-value" not in line
    words = shlex.split(line)
    assert words == [
        "cascmd",
        "upload",
        f"--upload-id={DASHED}",
        "--endpoint=http://h:1",
        "--profile=p",
        "--",
        "v",
        "my file",
    ]


def test_human_sizes() -> None:
    assert [human_size(v) for v in (None, 0, 1023, 1024, 3 << 20, 5 << 40)] == [
        "-",
        "0 B",
        "1023 B",
        "1.0 KiB",
        "3.0 MiB",
        "5.0 TiB",
    ]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_console_progress_draws_only_on_a_terminal() -> None:
    piped = io.StringIO()
    callback = console_progress("x", file=piped)
    callback(ProgressEvent(done=5, total=10, rate=1.0, elapsed=1.0))
    callback(ProgressEvent(done=10, total=10, rate=1.0, elapsed=2.0, finished=True))
    assert piped.getvalue() == ""
    screen = _Terminal()
    with ConsoleProgress("backup.tar", file=screen) as bar:
        bar(ProgressEvent(done=512 << 10, total=1 << 20, rate=1.0, elapsed=1.0))
        bar(ProgressEvent(done=1 << 20, total=1 << 20, rate=1.0, elapsed=2.0, finished=True))
    shown = screen.getvalue()
    assert "backup.tar:   0%" in shown  # drawn at once, then at most every 0.2 s
    assert "backup.tar: 100%" in shown
    assert "1.00M/1.00M" in shown


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("800", 800.0),
        ("800B/s", 800.0),
        ("10MB/s", 10e6),
        ("10 MB / s", 10e6),
        ("64kB", 64e3),
        ("64KB", 64e3),
        ("2MiB/s", 2 * 1024 * 1024.0),
        ("1.5KiB", 1536.0),
        ("500kbit", 62_500.0),
        ("500kbit/s", 62_500.0),
        ("8Mbps", 1e6),
        ("8Mb/s", 1e6),  # a lower-case b is a bit
        ("1Gbit", 125e6),
        ("unlimited", None),
        ("-1", None),
    ],
)
def test_transfer_rates_read_bytes_binary_and_bit_units(text: str, rate: object) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["", "fast", "10XB/s", "10 parsecs", "0MB/s", "1e3", "-5kB", "MB/s"])
def test_transfer_rates_refuse_what_they_cannot_read(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_rate(text)
