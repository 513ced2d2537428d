"""The ``osteoplan`` command line: the program's entry point.

Stable interface (see DESIGN.md): every subcommand takes ``--json`` to print one JSON object on stdout
and nothing else there; exit code 0 on success, 2 on bad input with a one-line reason on stderr; a
progress bar on stderr for long work when stderr is a terminal. Qt is imported only for the GUI.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import math
import os
import re
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn, TextIO

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1

#: subcommand modules under app.commands, in help order
SUBCOMMANDS = (
    "gui",
    "demo",
    "info",
    "convert",
    "segment",
    "anatomy",
    "plan",
    "report",
    "review",
    "pacs",
)

log = logging.getLogger("osteoplan")


class CommandError(Exception):
    """Bad input to a subcommand: printed as one line on stderr, exit code 2."""


def check_output_path(out: Path, option: str = "--out") -> None:
    """Refuse an output file whose folder does not exist or cannot be written, before any work (no folder
    is made on the operator's behalf, and the image writers' own messages are never what is shown). A name
    the file system cannot take (too long) is refused here too: it was an internal error (QA s31 D)."""
    folder = out.parent if str(out.parent) else Path()
    try:
        if not folder.is_dir():
            raise CommandError(f"{option} {out}: the folder {folder} does not exist")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise CommandError(f"{option} {out}: cannot write in the folder {folder} (permission denied)")
        if out.is_dir():
            raise CommandError(f"{option} {out} is a folder, not a file")
    except OSError as exc:  # ENAMETOOLONG: Path.is_dir() raises it rather than answer False
        raise CommandError(
            f"{option} {out}: the file system cannot take this name ({exc.strerror})"
        ) from None


def check_image_output_path(out: Path, source: Path | None = None) -> None:
    """:func:`check_output_path` for ``--out`` that must name an image file the writers know, and not the
    image ``source`` the command reads (``segment ct.nii.gz --out ct.nii.gz`` replaced the CT by the
    lesion mask, QA s31 D)."""
    from imaging.image_files import is_image_file

    if not is_image_file(out):
        raise CommandError(f"--out {out.name} must end in .nii.gz, .nii, .nrrd or .mha")
    check_output_path(out)
    if source is not None and _same_file(out, source):
        raise CommandError(f"--out {out} is the image this command reads: write to another file")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False


#: "-60,-100,-246": a value, not an option (argparse alone only knows plain negative numbers)
_NUMBER_LIST = re.compile(r"^-\d*\.?\d+(e[-+]?\d+)?(,\s*-?\d*\.?\d+(e[-+]?\d+)?)*$", re.IGNORECASE)


def accept_negative_number_lists(parser: argparse.ArgumentParser) -> None:
    """Let a subcommand's options take comma-separated values that start with a minus sign."""
    parser._negative_number_matcher = _NUMBER_LIST


def parse_numbers(text: str, option: str, names: str) -> list[float]:
    """``"a,b,..."`` to as many finite numbers as ``names`` lists (``"X,Y,Z"``); raises CommandError
    naming the option and what it takes when malformed."""
    count = {3: "three", 6: "six"}.get(len(names.split(",")), str(len(names.split(","))))
    try:
        values = [float(p.strip()) for p in text.split(",")]
    except ValueError:
        raise CommandError(f"{option} must be {count} numbers {names} in LPS mm, got {text!r}") from None
    if len(values) != len(names.split(",")) or not all(math.isfinite(v) for v in values):
        raise CommandError(f"{option} must be {count} finite numbers {names} in LPS mm, got {text!r}")
    from imaging.volume import FAR_LPS_MM

    if any(abs(v) > FAR_LPS_MM for v in values):
        raise CommandError(
            f"{option} must be {count} numbers {names} in LPS mm, each within ±{FAR_LPS_MM:.0f} mm (a point "
            f"in the scan), got {text!r}"
        )
    return values


def parse_point_lps(text: str, option: str) -> tuple[float, float, float]:
    """``"x,y,z"`` (LPS mm) to a tuple; raises CommandError naming the option when malformed."""
    values = parse_numbers(text, option, "X,Y,Z")
    return (values[0], values[1], values[2])


@dataclass
class Context:
    """What a subcommand gets besides its arguments: progress reporting and cancellation."""

    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    cancel: threading.Event = field(default_factory=threading.Event)
    _label: str = ""
    _last: int = -1

    def progress(self, label: str) -> Callable[[float], None] | None:
        """A ``progress(fraction)`` callback drawing a bar on stderr, or None when not a terminal."""
        if not self.stderr.isatty():
            return None

        def report(fraction: float) -> None:
            percent = int(max(0.0, min(1.0, fraction)) * 100)
            if percent == self._last and label == self._label:
                return
            self._label, self._last = label, percent
            filled = percent // 4
            bar = "#" * filled + "-" * (25 - filled)
            end = "\n" if percent >= 100 else ""
            self.stderr.write(f"\r{label:<20} [{bar}] {percent:3d}%{end}")
            self.stderr.flush()

        return report


def _load_subcommand(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"app.commands.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"app.commands.{name}":
            return None  # not built yet
        raise


class StoreOnce(argparse.Action):
    """Store an option's value, refusing the option given twice (argparse keeps the last one silently:
    ``segment --seed A --seed B`` segmented B alone and said nothing, QA s20 F3). Every subcommand's
    plain options use it (:func:`build_parser` registers it as the default action)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        if option_string is not None:
            given: set[str] = namespace.__dict__.setdefault("_options_given", set())
            if self.dest in given:
                parser.error(
                    f"{option_string} given more than once: it takes one value "
                    "(run the command once for each)"
                )
            given.add(self.dest)
        setattr(namespace, self.dest, values)


def nonempty_path(text: str) -> Path:
    """A path argument, refusing the empty string: ``Path("")`` is the current folder, so ``segment ""``
    (a script's unset variable) loaded whatever series lay in the folder it ran from (QA s31 D).
    :func:`build_parser` makes it the converter of every ``type=Path`` argument."""
    if not text:
        raise argparse.ArgumentTypeError(f"an empty path ({text!r}) names no file or folder")
    return Path(text)


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose bad-input message is the one-line reason of the CLI contract (DESIGN.md),
    then where the usage is ("run osteoplan segment --help"), instead of argparse's usage dump; exit 2.
    Its subcommands' parsers are of this class too (argparse makes them of the parent's class)."""

    #: the subcommands' parsers by name (an unknown option is reported by its subcommand's parser)
    subcommand_parsers: dict[str, argparse.ArgumentParser]

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\nrun {self.prog} --help\n")


def build_parser() -> tuple[OneLineParser, dict[str, ModuleType]]:
    """The argument parser with every available subcommand."""
    parser = OneLineParser(
        prog="osteoplan",
        description="CT planning for microwave ablation and cement augmentation of bone metastases.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log details on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules: dict[str, ModuleType] = {}
    parser.subcommand_parsers = {}
    for name in SUBCOMMANDS:
        module = _load_subcommand(name)
        if module is None:
            continue
        p = sub.add_parser(
            module.NAME, help=module.HELP, description=module.HELP, epilog=getattr(module, "EPILOG", None)
        )
        p.register("action", None, StoreOnce)
        p.register("action", "store", StoreOnce)
        p.register("type", Path, nonempty_path)  # argparse looks a type up in its registry first
        p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
        module.add_arguments(p)
        modules[module.NAME] = module
        parser.subcommand_parsers[module.NAME] = p
    return parser, modules


def text_lines(lines: Sequence[str]) -> str:
    """A command's text answer (its ``_text``) from its lines, each made printable
    (:func:`app.wording.printable`): a line break or terminal escape in what a file holds (a Series
    Description, a file name) or a spec gives (a target's name) never breaks a line or drives the terminal
    (QA s32 D: a description's line break read as a line of its own in ``osteoplan info``)."""
    from app.wording import printable

    return "\n".join(printable(line) for line in lines)


def _print_human(result: dict[str, Any], out: TextIO) -> None:
    from app.wording import printable

    text = result.pop("_text", None)
    if isinstance(text, str):  # its lines were made printable by text_lines; the rest of it is, here
        out.write("\n".join(printable(line) for line in text.rstrip("\n").split("\n")) + "\n")
    else:
        out.write(json.dumps(result, indent=2, default=_json_default) + "\n")


def _json_default(value: object) -> object:
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (also the console script's entry)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser, modules = build_parser()
    if not args_list:
        args_list = ["gui"]
    args, unknown = parser.parse_known_args(args_list)
    if unknown:
        # said by the subcommand's parser, whose help lists its options ("run osteoplan segment --help")
        owner = parser.subcommand_parsers.get(str(getattr(args, "command", None)), parser)
        owner.error(f"unrecognized arguments: {' '.join(unknown)}")
    args.__dict__.pop("_options_given", None)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if args.command is None or args.command not in modules:
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    module = modules[args.command]
    ctx = Context()
    from imaging.errors import ImagingError

    bad_input: tuple[type[BaseException], ...] = (CommandError, ImagingError, FileNotFoundError)
    try:
        from planning.errors import PlanningError

        bad_input = (*bad_input, PlanningError)
    except ImportError:  # planning layer not built yet
        pass
    try:
        result = module.run(args, ctx)
    except bad_input as exc:
        sys.stderr.write(f"osteoplan {args.command}: {_one_line(exc)}\n")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        sys.stderr.write(f"osteoplan {args.command}: interrupted\n")
        return 130
    except Exception as exc:  # the one top-level handler: log, plain message
        log.debug("unexpected error", exc_info=True)
        sys.stderr.write(
            f"osteoplan {args.command}: internal error ({type(exc).__name__}: {_one_line(exc)}); "
            "run with -v for details\n"
        )
        if args.verbose:
            raise
        return EXIT_INTERNAL
    if isinstance(result, int):
        return result
    if result is not None:
        if getattr(args, "json", False):
            result.pop("_text", None)
            sys.stdout.write(json.dumps(result, default=_json_default) + "\n")
        else:
            _print_human(result, sys.stdout)
    return EXIT_OK


def _one_line(exc: BaseException) -> str:
    from app.wording import printable

    text = str(exc) or type(exc).__name__
    return printable(" ".join(text.split()))


if __name__ == "__main__":
    # Run the imported module's main, not this __main__ copy: subcommands raise app.cli.CommandError,
    # which is a different class from __main__.CommandError.
    from app.cli import main as _imported_main

    raise SystemExit(_imported_main())
