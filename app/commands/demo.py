"""``osteoplan demo [--screenshot FILE.png]``: the window on the bundled sample case.

With ``--screenshot`` the window opens the sample case, draws all four views (the 3D bone surface
included), saves the window picture and exits 0; ``--json`` prints what was done and how long it
took (seconds).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from app.cli import CommandError, Context, check_output_path

NAME = "demo"
HELP = "open the bundled sample case; with --screenshot, save a picture of the window and exit"
#: give up waiting for the sample case / 3D surface after this long (s)
DEMO_TIMEOUT_S = 120.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``osteoplan demo``."""
    parser.add_argument(
        "--screenshot", type=Path, metavar="FILE.png", help="save the window picture and exit"
    )


def run(args: argparse.Namespace, ctx: Context) -> Any:
    """Open the sample case; with ``--screenshot`` save the picture and return a summary dict."""
    from app.resources import sample_case_path

    try:
        sample = sample_case_path()
    except FileNotFoundError as exc:
        raise CommandError(str(exc)) from exc
    if args.screenshot is not None:
        check_screenshot_path(Path(args.screenshot))
    from app.commands.gui import check_display

    check_display()
    from app.gui_app import make_application, start_window
    from app.loading import wait_until

    started = time.perf_counter()
    app = make_application()
    window = start_window(sample, recover=False)
    if args.screenshot is None:
        return int(app.exec())
    failures: list[str] = []
    window.opener.failed.connect(failures.append)
    loaded = wait_until(
        lambda: bool(failures) or (window.state.display is not None and not window.opener.is_busy()),
        int(DEMO_TIMEOUT_S * 1000),
    )
    if not loaded:
        raise CommandError(f"the sample case did not load within {DEMO_TIMEOUT_S:.0f} s")
    if failures:
        raise CommandError(f"the sample case could not be opened: {failures[0]}")
    from app.display_geometry import ViewAxis

    axial = window.views[ViewAxis.AXIAL]
    wait_until(lambda: axial.first_frame_time is not None, 5000)
    first_slice_s = (axial.first_frame_time or time.perf_counter()) - started
    wait3d = getattr(window.view3d, "wait_for_surface", None)
    if callable(wait3d):
        wait3d(int(DEMO_TIMEOUT_S * 1000))
    wait_until(lambda: False, 100)  # let the views paint
    window.save_screenshot(args.screenshot)
    total_s = time.perf_counter() - started
    window.close()
    return {
        "screenshot": str(args.screenshot),
        "sample_case": str(sample),
        "shape": list(window.state.display.source.shape) if window.state.display else None,
        "first_slice_s": round(first_slice_s, 3),
        "total_s": round(total_s, 3),
        "renderer": getattr(window.view3d, "renderer_name", ""),
        "_text": f"saved {args.screenshot} ({total_s:.1f} s)",
    }


def check_screenshot_path(path: Path) -> None:
    """Refuse a ``--screenshot`` file Qt cannot write (a picture format it does not know, a folder that
    does not exist) before the window opens: the base found out after drawing it, as an internal error."""
    from PySide6.QtGui import QImageWriter  # the formats need no display and no application

    formats = sorted(bytes(f.data()).decode().lower() for f in QImageWriter.supportedImageFormats())
    if path.suffix.lower().lstrip(".") not in formats:
        raise CommandError(
            f"--screenshot {path.name} must end in .png (or another picture format: {', '.join(formats)})"
        )
    check_output_path(path, "--screenshot")
