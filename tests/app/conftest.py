"""Fixtures for the GUI tests: a main window under a (virtual) display and marker phantoms in LPS mm.

Run under Xvfb:
``xvfb-run -a -s "-screen 0 1280x1024x24 -noreset" .venv/bin/python -m pytest -p no:xvfb tests/app -q``.
Every test here is marked ``gui``; without a display they are skipped with a reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from imaging.volume import Volume, affine_from_geometry

AIR_HU = -1000
BODY_HU = 40
#: markers by name: LPS centre (mm) and HU; left/right differ in HU so each can be told apart
MARKERS: dict[str, tuple[tuple[float, float, float], float]] = {
    "left": ((30.0, 0.0, 0.0), 2000.0),  # patient's left (+x)
    "right": ((-30.0, 0.0, 0.0), 900.0),  # patient's right (-x)
    "anterior": ((0.0, -30.0, 0.0), 1300.0),  # anterior (-y)
    "superior": ((0.0, 0.0, 30.0), 1600.0),  # superior (+z)
}
MARKER_RADIUS_MM = 4.0


#: test modules here that need no display (command line, pure display geometry)
HEADLESS_PREFIXES = ("test_cli", "test_display_geometry")


def pytest_configure(config: pytest.Config) -> None:
    from app.qt_guard import guard_pyside_refcount_bug

    guard_pyside_refcount_bug()  # long GUI test sessions otherwise abort (see app.qt_guard)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    no_display = not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")
    for item in items:
        path = Path(str(item.fspath))
        if path.parent == here and not path.stem.startswith(HEADLESS_PREFIXES):
            item.add_marker(pytest.mark.gui)
            if no_display:
                item.add_marker(pytest.mark.skip(reason="GUI tests need a display: run them under xvfb-run"))


def marker_volume(
    direction: npt.ArrayLike,
    *,
    spacing_mm: tuple[float, float, float] = (2.0, 1.5, 1.25),
    shape: tuple[int, int, int] = (48, 64, 56),
) -> Volume:
    """A body block at BODY_HU with ball markers (see MARKERS) on a grid of any orientation.

    The grid is centred on the LPS origin; the scene is defined in LPS, so every marker is where
    MARKERS says whatever the grid's direction.
    """
    d = np.asarray(direction, dtype=np.float64)
    centre_index = (np.asarray(shape, dtype=np.float64) - 1) / 2.0
    m = affine_from_geometry((0.0, 0.0, 0.0), spacing_mm, d)
    origin = -(m[:3, :3] @ centre_index)
    i2l = affine_from_geometry(origin, spacing_mm, d)
    idx = np.stack(np.meshgrid(*[np.arange(n) for n in shape], indexing="ij"), axis=-1).reshape(-1, 3)
    lps = idx @ i2l[:3, :3].T + i2l[:3, 3]
    values = np.full(len(lps), AIR_HU, dtype=np.float64)
    values[np.all(np.abs(lps) < [45.0, 45.0, 100.0], axis=1)] = BODY_HU
    for centre, hu in MARKERS.values():
        values[np.linalg.norm(lps - np.asarray(centre), axis=1) <= MARKER_RADIUS_MM] = hu
    return Volume(values.reshape(shape).astype(np.int16), i2l)


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[object]:
    from PySide6.QtCore import QSettings

    yield QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot: object, settings: object, request: pytest.FixtureRequest) -> Iterator[object]:
    """A MainWindow without the 3D view (2D tests), shown at a fixed size.

    The tool packages (segmentation, needle planning) are installed unless the test module sets
    ``WINDOW_EXTENSIONS = False`` (tests of the bare views, whose pixels the tools' overlays
    would cover).
    """
    from app.main_window import MainWindow

    extensions = bool(getattr(request.module, "WINDOW_EXTENSIONS", True))
    win = MainWindow(enable_3d=False, settings=settings, extensions=extensions)  # type: ignore[arg-type]
    qtbot.addWidget(win)  # type: ignore[attr-defined]
    win.resize(1100, 860)
    win.show()
    qtbot.waitExposed(win)  # type: ignore[attr-defined]
    yield win
    win.case.undo_stack.setClean()  # no save prompt when the test closes it


@pytest.fixture
def window3d(qtbot: object, settings: object) -> Iterator[object]:
    """A MainWindow with the 3D view (VTK), shown at a fixed size; its view is shut down after the test."""
    from app.main_window import MainWindow

    win = MainWindow(enable_3d=True, settings=settings)  # type: ignore[arg-type]
    qtbot.addWidget(win)  # type: ignore[attr-defined]
    win.resize(1000, 800)
    win.show()
    qtbot.waitExposed(win)  # type: ignore[attr-defined]
    yield win
    win.view3d.shutdown()


@pytest.fixture
def no_dialogs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Capture every message dialog instead of blocking on it."""
    from app import dialogs

    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(dialogs, "show_error", lambda _p, title, text: shown.append((title, text)))
    monkeypatch.setattr(dialogs, "show_info", lambda _p, title, text: shown.append((title, text)))
    monkeypatch.setattr(dialogs, "ask_yes_no_cancel", lambda *_a: dialogs.Answer.NO)

    def ask_choice(_p: object, title: str, text: str, choices: tuple[str, ...]) -> str | None:
        shown.append((title, text))
        return choices[0]  # the default button, as Enter would answer

    monkeypatch.setattr(dialogs, "ask_choice", ask_choice)
    return shown
