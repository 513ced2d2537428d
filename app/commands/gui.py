"""``osteoplan gui [PATH] [--case FILE]``: the workstation window (also ``osteoplan`` alone)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from app.cli import CommandError, Context

NAME = "gui"
HELP = "open the workstation window, optionally on a DICOM folder / file / NIfTI or a saved case"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``osteoplan gui``."""
    parser.add_argument("path", nargs="?", type=Path, help="DICOM folder or file, NIfTI/NRRD/MHA file")
    parser.add_argument("--case", type=Path, help="a saved .osteoplan case")


def run(args: argparse.Namespace, ctx: Context) -> Any:
    """Run the GUI until its window closes; returns the exit code."""
    for value, what in ((args.path, "PATH"), (args.case, "--case")):
        if value is not None and not Path(value).exists():
            raise CommandError(f"{what} {value} does not exist")
    check_display()
    from app.gui_app import make_application, start_window

    app = make_application()
    window = start_window(args.path, args.case)
    code = int(app.exec())
    del window
    return code


def check_display() -> None:
    """Refuse to start the window where there is no display to show it on (Linux): Qt itself then aborts
    the program (SIGABRT) after six lines about its platform plugins (QA s31 D: ``osteoplan`` over ssh).
    ``QT_QPA_PLATFORM``, when set, is the operator's own choice of platform and is left to Qt."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        raise CommandError(
            "no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set): run it in a "
            "desktop session, or under xvfb-run"
        )
