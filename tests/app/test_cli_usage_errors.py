"""The command line's bad-usage messages: one line with the reason, one line saying where the usage is,
exit code 2 (DESIGN.md "Command line"), no usage dump."""

from __future__ import annotations

import pytest

from app.cli import EXIT_BAD_INPUT, main


@pytest.mark.parametrize(
    ("argv", "first_line"),
    [
        (["segment", "ct.nii.gz"], "osteoplan segment: error: the following arguments are required: --seed"),
        (["anatomy"], "osteoplan anatomy: error: the following arguments are required: path, --vertebra"),
        # said by the subcommand, whose help lists its options (QA s20 F4: "run osteoplan --help" did not)
        (
            ["info", "x", "--no-such-option"],
            "osteoplan info: error: unrecognized arguments: --no-such-option",
        ),
        # a second seed or vertebra was taken instead of the first, silently (QA s20 F3)
        (
            ["segment", "ct.nii.gz", "--seed=1,2,3", "--seed=4,5,6"],
            "osteoplan segment: error: --seed given more than once: it takes one value "
            "(run the command once for each)",
        ),
        (
            ["anatomy", "ct.nii.gz", "--vertebra", "1,2,3", "--vertebra", "4,5,6"],
            "osteoplan anatomy: error: --vertebra given more than once: it takes one value "
            "(run the command once for each)",
        ),
    ],
)
def test_bad_usage_is_one_line_and_where_the_help_is(
    argv: list[str], first_line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == EXIT_BAD_INPUT
    out, err = capsys.readouterr()
    assert out == ""
    prog = first_line.split(": error:", maxsplit=1)[0]
    assert err.splitlines() == [first_line, f"run {prog} --help"]


def test_an_unknown_command_names_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["report", "case.osteoplan"])
    assert exc.value.code == EXIT_BAD_INPUT
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("osteoplan: error: argument COMMAND: invalid choice: 'report'")
    assert "'segment'" in lines[0]
    assert lines[1] == "run osteoplan --help"
