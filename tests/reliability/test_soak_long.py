"""The long soak's command line picks the service and carries every option into its settings."""

from __future__ import annotations

import pytest

from tests.reliability.bucket_soak_world import BucketSoakSettings
from tests.reliability.soak_common import MiB
from tests.reliability.soak_long import build_parser, settings_from
from tests.reliability.soak_world import SoakSettings


def test_bucket_service_gets_bucket_settings_with_the_options_given() -> None:
    args = build_parser().parse_args(
        ["--service", "bucket", "--pairs", "7", "--min-mib", "1", "--max-mib", "64", "--seed", "3"]
    )
    settings = settings_from(args)
    assert isinstance(settings, BucketSoakSettings)
    assert (settings.pairs, settings.seed) == (7, 3)
    assert (settings.min_size, settings.max_size) == (MiB, 64 * MiB)


def test_vaults_are_the_default_service() -> None:
    settings = settings_from(build_parser().parse_args(["--pairs", "2", "--max-units", "5"]))
    assert isinstance(settings, SoakSettings)
    assert (settings.pairs, settings.max_units) == (2, 5)


@pytest.mark.parametrize(
    "argv", [["--pairs", "0"], ["--min-mib", "8", "--max-mib", "4"], ["--fail-rate", "1"]]
)
def test_impossible_settings_are_refused(argv: list) -> None:
    with pytest.raises(SystemExit):
        settings_from(build_parser().parse_args(argv))


def test_an_unknown_service_is_refused() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--service", "reduct"])
