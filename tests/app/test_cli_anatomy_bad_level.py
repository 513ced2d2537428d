"""``osteoplan anatomy --level`` with a word that is not a level: one line naming the option once, with the
levels it takes (QA s25 E11: ``--level ""`` said ``--level: Argument "level" must be ...``, the option named
twice in two spellings). The level is checked before the image is read, so no image is needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import EXIT_BAD_INPUT, main


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("", "got nothing"),
        ("   ", "got nothing"),
        ("L6", "got 'L6'"),
        ("lumbar", "got 'lumbar'"),
    ],
)
def test_a_bad_level_is_said_once_with_the_levels_it_takes(
    typed: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["anatomy", str(tmp_path / "ct.nii.gz"), "--vertebra=1,2,3", "--level", typed])
    assert code == EXIT_BAD_INPUT
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"osteoplan anatomy: --level must be a vertebral level C1-C7, T1-T12, L1-L5 or S1 (e.g. L3), {said}"
    ]
    assert 'Argument "level"' not in err
