"""Crash recovery when OsteoPlan starts with a path (QA s16 #6): the autosave a crash left is offered, and
never deleted before the operator has chosen.

A real window paints a stroke on a saved case, autosaves a second stroke, and "crashes": its autosave
is put back after the window has gone (a crash leaves it; a normal close removes it). New windows are
then started as ``osteoplan gui --case FILE`` and ``osteoplan gui PATH`` start them
(:func:`app.gui_app.start_window`). The image is a marker phantom written as a DICOM series, so the
case reopens through the real loader. Run under Xvfb: ``xvfb-run -a -s "-screen 0 1280x1024x24
-noreset" .venv/bin/python -m pytest -p no:xvfb tests/app/test_crash_recovery_by_path.py -q``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QEvent

from app.display_geometry import ViewAxis
from tests.app.conftest import marker_volume
from tests.app.test_segmentation_tools import send_mouse

dicom_writer = pytest.importorskip("tests.phantoms.dicom_writer")
case_io = pytest.importorskip("planning.case_io")

SHAPE = (24, 48, 64)
OPEN_TIMEOUT_MS = 30_000


def stroke(window: Any, qtbot: Any, y_mm: float) -> None:
    """A left-to-right brush stroke (3 mm disc) across the axial slice shown, at posterior ``y_mm``."""
    axial = window.views[ViewAxis.AXIAL]
    z = window.state.display.pixel_to_lps(ViewAxis.AXIAL, axial.slice_index(), 0, 0)[2]
    a, b = np.array([-10.0, y_mm, z]), np.array([10.0, y_mm, z])
    send_mouse(axial, QEvent.Type.MouseButtonPress, a)
    for t in np.linspace(0.0, 1.0, 5)[1:]:
        send_mouse(axial, QEvent.Type.MouseMove, a + t * (b - a))
    send_mouse(axial, QEvent.Type.MouseButtonRelease, b)


@pytest.fixture
def crashed(window: Any, qtbot: Any, tmp_path: Path, no_dialogs: Any) -> Any:
    """A saved case and the autosave of a later stroke left by a "crash": (case path, autosave bytes,
    mask as saved, mask as autosaved)."""
    dicom_writer.write_dicom_series(marker_volume(np.eye(3), shape=SHAPE), tmp_path / "ct")
    window.open_path(tmp_path / "ct")
    qtbot.waitUntil(lambda: window.state.display is not None, timeout=OPEN_TIMEOUT_MS)
    seg = window.segmentation
    seg.edit_panel.new_layer()
    seg.set_brush_radius(3.0)
    seg.activate(seg.brush_tool)
    stroke(window, qtbot, -5.0)
    case_path = tmp_path / "case.osteoplan"
    assert window.case.save_to(case_path)
    saved = window.case.case.layers["Mask 1"].mask
    stroke(window, qtbot, 5.0)
    stroked = window.case.case.layers["Mask 1"].mask
    assert stroked.count() > saved.count() > 0
    autosave = window.case.autosave()
    assert autosave is not None and case_io.find_recoverable() == [autosave]
    left = autosave.read_bytes()
    # a normal close removes the window's own autosave; a crash would have left it: put it back
    window.case.undo_stack.setClean()
    window.close()
    assert not autosave.exists()
    autosave.write_bytes(left)
    return case_path, left, saved, stroked


def answering(monkeypatch: pytest.MonkeyPatch, answer: Any) -> list[str]:
    """Answer every Yes/No/Cancel question with ``answer``; returns the questions asked."""
    from app import dialogs

    asked: list[str] = []

    def ask(_parent: object, title: str, text: str) -> Any:
        asked.append(f"{title}: {text}")
        return answer

    monkeypatch.setattr(dialogs, "ask_yes_no_cancel", ask)
    return asked


def start(qtbot: Any, settings: Any, **where: Path) -> Any:
    """A new real window started as the command line starts it, once its image is shown."""
    from app.gui_app import start_window
    from app.main_window import MainWindow

    win = MainWindow(enable_3d=False, settings=settings)
    qtbot.addWidget(win)
    start_window(window=win, **where)  # type: ignore[arg-type]
    qtbot.waitUntil(
        lambda: win.state.display is not None and not win.opener.is_busy(), timeout=OPEN_TIMEOUT_MS
    )
    qtbot.wait(50)
    return win


def test_starting_with_the_case_offers_its_crash_autosave(
    crashed: Any, qtbot: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import dialogs

    case_path, left, saved, stroked = crashed
    # "decide later": the case opens as saved, the autosave is kept (set aside from the name this
    # session's own autosaves use) and survives a normal close
    asked = answering(monkeypatch, dialogs.Answer.CANCEL)
    win = start(qtbot, settings, case_path=case_path)
    assert len(asked) == 1 and case_path.name in asked[0] and "autosaved" in asked[0], asked
    assert win.case.case.layers["Mask 1"].mask == saved and not win.case.is_modified()
    kept = case_io.find_recoverable()
    assert len(kept) == 1 and kept[0].read_bytes() == left
    assert "kept" in win.statusBar().currentMessage()
    win.close()
    assert case_io.find_recoverable() == kept

    # asked again at the next start; Yes restores the autosaved stroke, unsaved until saved
    asked = answering(monkeypatch, dialogs.Answer.YES)
    win = start(qtbot, settings, case_path=case_path)
    assert len(asked) == 1, asked
    assert win.case.case.layers["Mask 1"].mask == stroked
    assert win.case.is_modified() and win.case.path == case_path
    assert case_io.find_recoverable() == kept  # kept until the recovered work is saved
    assert win.case.save()
    assert case_io.find_recoverable() == []
    assert case_io.load_case(case_path).layers["Mask 1"].mask == stroked
    win.case.undo_stack.setClean()


def test_no_discards_the_crash_autosave_and_opens_the_case_as_saved(
    crashed: Any, qtbot: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import dialogs

    case_path, _left, saved, _stroked = crashed
    asked = answering(monkeypatch, dialogs.Answer.NO)
    win = start(qtbot, settings, path=case_path)  # `osteoplan gui FILE.osteoplan`
    assert len(asked) == 1 and "discard" in asked[0], asked
    assert win.case.case.layers["Mask 1"].mask == saved and not win.case.is_modified()
    assert case_io.find_recoverable() == []  # deleted because the operator said so
    win.case.undo_stack.setClean()


def test_another_cases_autosave_is_offered_when_starting_on_an_image(
    crashed: Any, qtbot: Any, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import dialogs

    case_path, left, _saved, stroked = crashed
    # started on the image alone: the autosave of the case is named and offered instead of the image;
    # "decide later" opens the image as a new case and keeps the autosave
    asked = answering(monkeypatch, dialogs.Answer.CANCEL)
    win = start(qtbot, settings, path=tmp_path / "ct")
    assert len(asked) == 1 and case_path.name in asked[0] and "instead of opening ct" in asked[0], asked
    assert "Mask 1" not in win.case.case.layers and win.case.path is None
    # and says where the autosave was kept (QA s16 verification: nothing was said)
    qtbot.waitUntil(lambda: "kept" in win.statusBar().currentMessage(), timeout=5000)
    assert "offered again" in win.statusBar().currentMessage()
    win.close()
    assert [p.read_bytes() for p in case_io.find_recoverable()] == [left]
    # Yes: the autosaved case opens instead of the image
    answering(monkeypatch, dialogs.Answer.YES)
    win = start(qtbot, settings, path=tmp_path / "ct")
    assert win.case.path == case_path and win.case.case.layers["Mask 1"].mask == stroked
    win.case.undo_stack.setClean()
