"""The emulator's generated credentials work on a command line as printed."""

from __future__ import annotations

from typing import Iterator, List

from cassdk_like.emulator import Emulator
from cassdk_like.emulator.server import new_secret_key


def test_a_generated_secret_key_never_starts_with_a_dash() -> None:
    """``cascmd --secret-key -x...`` would read the key as an option: such draws are redrawn."""
    draws: Iterator[str] = iter(["-dash-first", "_fine", "never-used"])
    asked: List[int] = []

    def token(nbytes: int) -> str:
        asked.append(nbytes)
        return next(draws)

    assert new_secret_key(token) == "_fine"
    assert asked == [24, 24]


def test_the_emulator_generates_a_usable_pair() -> None:
    with Emulator() as emu:
        dash_first, length = emu.secret_key.startswith("-"), len(emu.secret_key)
        assert not dash_first  # never the key itself in a failure message
        assert length >= 32
        assert emu.secret_id.startswith("AKID")
