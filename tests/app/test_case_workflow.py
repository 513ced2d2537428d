"""The case behind the window: undo/redo through the QUndoStack, overlays, save and reopen, autosave.

The image is a marker phantom written as a DICOM series (so reopening a case loads it through the
real loader); layers are boxes at known voxel indices, so their overlay pixels are known.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from app.display_geometry import ViewAxis
from imaging.mask import Mask
from tests.app.conftest import MARKERS, marker_volume
from tests.app.test_view_orientation import grab_grey

pytest.importorskip("imaging.load")
dicom_writer = pytest.importorskip("tests.phantoms.dicom_writer")
commands = pytest.importorskip("planning.commands")
case_io = pytest.importorskip("planning.case_io")
from planning.model import LayerKind, MaskLayer  # noqa: E402

SHAPE = (24, 48, 64)  # 30 x 72 x 80 mm: every marker inside
RED = (255, 0, 0)

#: the bare views: the tool packages' overlays would cover the pixels probed here
WINDOW_EXTENSIONS = False


@pytest.fixture
def opened(
    window: object,
    qtbot: object,
    tmp_path: Path,
    no_dialogs: list[tuple[str, str]],
) -> object:
    dicom_writer.write_dicom_series(marker_volume(np.eye(3), shape=SHAPE), tmp_path / "ct")
    window.open_path(tmp_path / "ct")  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: window.state.display is not None, timeout=30000)  # type: ignore[attr-defined]
    return window


def left_marker_layer(window: object) -> MaskLayer:
    """A box layer around the left marker (source-grid indices from its LPS centre)."""
    volume = window.case.volume  # type: ignore[attr-defined]
    centre = np.rint(volume.lps_to_index_points(MARKERS["left"][0])).astype(int)
    box = np.ones((3, 5, 5), dtype=bool)
    mask = Mask(box, tuple(int(v) for v in centre - [1, 2, 2]), volume.shape)
    return MaskLayer("lesion", LayerKind.LESION, mask, RED, volume.metadata.series_uid)


def overlay_is_red(window: object) -> bool:
    axial = window.views[ViewAxis.AXIAL]  # type: ignore[attr-defined]
    window.state.set_crosshair(MARKERS["left"][0])  # type: ignore[attr-defined]
    p = axial.lps_to_widget(MARKERS["left"][0])
    r, g, b = (int(v) for v in grab_grey(axial)[round(p.y()) + 2, round(p.x()) + 2])
    return r > g + 40 and r > b + 40


def test_edit_then_undo_restores_model_and_pixels(opened: object, qtbot: object) -> None:
    window = opened
    assert not overlay_is_red(window)
    window.case.push(commands.AddLayer(left_marker_layer(window)))  # type: ignore[attr-defined]
    assert list(window.case.case.layers) == ["lesion"]  # type: ignore[attr-defined]
    assert overlay_is_red(window)
    assert window.layer_dock.list.count() == 1  # type: ignore[attr-defined]
    assert window.case.is_modified()  # type: ignore[attr-defined]
    window.case.undo_stack.undo()  # type: ignore[attr-defined]
    assert list(window.case.case.layers) == []  # type: ignore[attr-defined]
    assert not overlay_is_red(window)
    assert not window.case.is_modified()  # type: ignore[attr-defined]
    window.case.undo_stack.redo()  # type: ignore[attr-defined]
    assert overlay_is_red(window)
    # display state is not in the case: hiding the layer changes pixels, not the model
    before = window.case.case.snapshot()  # type: ignore[attr-defined]
    window.state.update_layer("lesion", visible=False)  # type: ignore[attr-defined]
    assert not overlay_is_red(window)
    assert window.case.case.snapshot() == before  # type: ignore[attr-defined]


def test_a_brush_stroke_is_one_undo_step(opened: object) -> None:
    window = opened
    layer = left_marker_layer(window)
    window.case.push(commands.AddLayer(layer))  # type: ignore[attr-defined]
    off = layer.mask.offset_index
    for k in range(3):  # three dabs of one stroke
        dab = np.ones((1, 2, 2), dtype=bool)
        window.case.push(
            commands.EditMask.patch(
                "lesion",
                (off[0], off[1] + 6 + k, off[2]),
                dab,  # type: ignore[attr-defined]
                stroke_id="stroke-1",
            )
        )
    # overlapping 2x2 dabs on rows 6-7, 7-8, 8-9 (outside the 5x5 box): 4 rows x 2 cols added
    assert window.case.case.layers["lesion"].mask.count() == 75 + 8  # type: ignore[attr-defined]
    assert window.case.undo_stack.count() == 2  # type: ignore[attr-defined]
    window.case.undo_stack.undo()  # type: ignore[attr-defined]
    assert window.case.case.layers["lesion"].mask == layer.mask  # type: ignore[attr-defined]


def test_save_then_reopen_gives_the_same_case(
    opened: object, qtbot: object, settings: object, tmp_path: Path
) -> None:
    from app.main_window import MainWindow

    window = opened
    window.case.push(commands.AddLayer(left_marker_layer(window)))  # type: ignore[attr-defined]
    path = tmp_path / "plan.osteoplan"
    assert window.case.save_to(path)  # type: ignore[attr-defined]
    assert not window.case.is_modified()  # type: ignore[attr-defined]
    saved = window.case.case.snapshot()  # type: ignore[attr-defined]

    other = MainWindow(enable_3d=False, settings=settings, extensions=False)  # type: ignore[arg-type]
    qtbot.addWidget(other)  # type: ignore[attr-defined]
    other.open_path(path)
    qtbot.waitUntil(lambda: other.state.display is not None, timeout=30000)  # type: ignore[attr-defined]
    assert other.case.case.snapshot() == saved
    assert other.case.path == path
    assert not other.case.is_modified()
    assert "lesion" in other.state.layers
    other.resize(1100, 860)
    other.show()
    qtbot.waitExposed(other)  # type: ignore[attr-defined]
    assert overlay_is_red(other)


def test_crash_leaves_a_recoverable_autosave(
    opened: object,
    qtbot: object,
    settings: object,
    no_dialogs: list[tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app import dialogs
    from app.main_window import MainWindow

    window = opened
    window.case.autosave_timer.setInterval(50)  # type: ignore[attr-defined]
    window.case.push(commands.AddLayer(left_marker_layer(window)))  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: bool(case_io.find_recoverable()), timeout=5000)  # type: ignore[attr-defined]
    # a change after the first autosave is autosaved too (before: the timer only started when the stack
    # went from clean to modified, so later work was lost in a crash)
    first = case_io.find_recoverable()[0].stat().st_mtime_ns  # type: ignore[attr-defined]
    layer = window.case.case.layers["lesion"]  # type: ignore[attr-defined]
    window.case.push(commands.RecolorLayer("lesion", (0, 0, 255)))  # type: ignore[attr-defined]
    assert layer.color_rgb != (0, 0, 255)
    qtbot.waitUntil(  # type: ignore[attr-defined]
        lambda: case_io.find_recoverable()[0].stat().st_mtime_ns != first, timeout=5000
    )
    edited = window.case.case.snapshot()  # type: ignore[attr-defined]
    # the "crash": the window never closes normally, so the autosave stays; a new session starts
    asked: list[str] = []
    monkeypatch.setattr(dialogs, "ask_yes_no_cancel", lambda *a: asked.append(a[2]) or dialogs.Answer.YES)
    other = MainWindow(enable_3d=False, settings=settings, extensions=False)  # type: ignore[arg-type]
    qtbot.addWidget(other)  # type: ignore[attr-defined]
    recovered = other.case.offer_recovery()
    assert recovered is not None
    # the question says what would be recovered, not only a file name made of a hash
    n_layers = len(edited.layers)
    assert f"{n_layers} layer" in asked[0] and "autosaved" in asked[0], asked
    qtbot.waitUntil(lambda: other.state.display is not None, timeout=30000)  # type: ignore[attr-defined]
    assert other.case.case.snapshot() == edited
    assert other.case.case.layers["lesion"].color_rgb == (0, 0, 255)
    assert other.case.is_modified()  # recovered work is unsaved until saved
    other.case.undo_stack.setClean()
    window.case.undo_stack.setClean()  # type: ignore[attr-defined]
    # the status bar says what was recovered and from when (QA 14: it was empty after the recovery);
    # checked once marked clean, so closing asks nothing even when it fails
    header = case_io.read_case_file(recovered).header  # type: ignore[attr-defined]
    autosaved = datetime.fromisoformat(header.modified_utc.replace("Z", "+00:00")).astimezone()
    qtbot.waitUntil(lambda: "Recovered" in other.statusBar().currentMessage(), timeout=5000)  # type: ignore[attr-defined]
    message = other.statusBar().currentMessage()
    assert autosaved.strftime("%H:%M") in message and "after that were lost" in message, message
    assert "not saved yet" in message


def test_opening_an_image_over_unsaved_work_asks_first(
    opened: object, qtbot: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # opening another image starts a new case: unsaved work is asked about, as when opening a case or
    # closing (before: it was dropped without a word, autosave included); Cancel keeps everything
    from app import dialogs

    window = opened
    window.case.push(commands.AddLayer(left_marker_layer(window)))  # type: ignore[attr-defined]
    before = window.case.case.snapshot()  # type: ignore[attr-defined]
    volume_before = window.case.volume  # type: ignore[attr-defined]
    dicom_writer.write_dicom_series(marker_volume(np.eye(3), shape=SHAPE), tmp_path / "other")
    asked: list[str] = []

    def answer(choice: object) -> object:
        def ask(*args: object) -> object:
            asked.append(str(args[1]))
            return choice

        return ask

    monkeypatch.setattr(dialogs, "ask_yes_no_cancel", answer(dialogs.Answer.CANCEL))
    window.open_path(tmp_path / "other")  # type: ignore[attr-defined]
    qtbot.wait(200)  # type: ignore[attr-defined]
    assert asked == ["Unsaved changes"]
    assert not window.opener.is_busy()  # type: ignore[attr-defined]
    assert window.case.case.snapshot() == before and window.case.volume is volume_before  # type: ignore[attr-defined]
    assert window.case.is_modified()  # type: ignore[attr-defined]
    # "No" (do not save): the new image opens as a new case
    monkeypatch.setattr(dialogs, "ask_yes_no_cancel", answer(dialogs.Answer.NO))
    window.open_path(tmp_path / "other")  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: window.case.volume is not volume_before, timeout=30000)  # type: ignore[attr-defined]
    assert len(asked) == 2 and "lesion" not in window.case.case.layers  # type: ignore[attr-defined]


def test_ctrl_y_redoes_as_well(opened: object, qtbot: object) -> None:
    from PySide6.QtCore import Qt

    window = opened
    window.case.push(commands.AddLayer(left_marker_layer(window)))  # type: ignore[attr-defined]
    window.case.undo_stack.undo()  # type: ignore[attr-defined]
    assert "lesion" not in window.case.case.layers  # type: ignore[attr-defined]
    from PySide6.QtWidgets import QApplication

    view = window.views[ViewAxis.AXIAL]  # type: ignore[attr-defined]
    window.activateWindow()  # type: ignore[attr-defined]
    view.setFocus()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)  # type: ignore[attr-defined]
    qtbot.keyClick(view, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)  # type: ignore[attr-defined]
    assert "lesion" in window.case.case.layers  # type: ignore[attr-defined]
    window.case.undo_stack.undo()  # type: ignore[attr-defined]
    shift_ctrl = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(view, Qt.Key.Key_Z, shift_ctrl)  # type: ignore[attr-defined]
    assert "lesion" in window.case.case.layers  # type: ignore[attr-defined]


def test_changes_discarded_on_opening_another_image_leave_no_autosave(
    opened: object, qtbot: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the operator answers "No" (do not save) when another image opens over autosaved work: that autosave
    # is the work thrown away, not a crash, and must not be offered as one at the next start (before:
    # it stayed in the recovery folder and was)
    from app import dialogs

    window = opened
    window.case.autosave_timer.setInterval(50)  # type: ignore[attr-defined]
    window.case.push(commands.AddLayer(left_marker_layer(window)))  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: bool(case_io.find_recoverable()), timeout=5000)  # type: ignore[attr-defined]
    volume_before = window.case.volume  # type: ignore[attr-defined]
    dicom_writer.write_dicom_series(marker_volume(np.eye(3), shape=SHAPE), tmp_path / "other")
    monkeypatch.setattr(dialogs, "ask_yes_no_cancel", lambda *a: dialogs.Answer.NO)
    window.open_path(tmp_path / "other")  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: window.case.volume is not volume_before, timeout=30000)  # type: ignore[attr-defined]
    assert case_io.find_recoverable() == []  # type: ignore[attr-defined]


def overlay_rgb(window: object) -> tuple[int, int, int]:
    """The colour drawn beside the left marker's centre (inside its layer's box, off the crosshair)."""
    axial = window.views[ViewAxis.AXIAL]  # type: ignore[attr-defined]
    window.state.set_crosshair(MARKERS["left"][0])  # type: ignore[attr-defined]
    p = axial.lps_to_widget(MARKERS["left"][0])
    r, g, b = (int(v) for v in grab_grey(axial)[round(p.y()) + 2, round(p.x()) + 2])
    return r, g, b


def test_undone_recolour_is_drawn_in_the_case_colour(opened: object, qtbot: object) -> None:
    # QA s20 F1: the views kept drawing the undone colour (green) while the case and the Lesions dock
    # said red, so a save wrote red under a green lesion
    window = opened
    window.case.push(commands.AddLayer(left_marker_layer(window)))  # type: ignore[attr-defined]
    assert overlay_is_red(window)
    window.case.push(commands.RecolorLayer("lesion", (0, 200, 0)))  # type: ignore[attr-defined]
    r, g, b = overlay_rgb(window)
    assert g > r + 40 and g > b + 40, (r, g, b)
    window.case.undo_stack.undo()  # type: ignore[attr-defined]
    assert window.case.case.layers["lesion"].color_rgb == RED  # type: ignore[attr-defined]
    assert window.state.layers["lesion"].colour.getRgb()[:3] == RED  # type: ignore[attr-defined]
    assert overlay_is_red(window)
    window.case.undo_stack.redo()  # type: ignore[attr-defined]
    r, g, b = overlay_rgb(window)
    assert g > r + 40 and g > b + 40, (r, g, b)
    window.case.undo_stack.setClean()  # type: ignore[attr-defined]


def test_a_colour_chosen_in_the_layers_dock_is_the_case_colour(
    opened: object, qtbot: object, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # QA s20 F2: the Layers dock's colour only changed what was drawn: no undo step, the case (and the
    # Lesions dock, and the saved file) kept the old colour
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QColorDialog

    window = opened
    window.case.push(commands.AddLayer(left_marker_layer(window)))  # type: ignore[attr-defined]
    dock = window.layer_dock  # type: ignore[attr-defined]
    dock.list.setCurrentRow(0)
    monkeypatch.setattr(QColorDialog, "getColor", staticmethod(lambda *_a, **_k: QColor(0, 0, 255)))
    steps = window.case.undo_stack.count()  # type: ignore[attr-defined]
    dock.colour_button.click()
    assert window.case.case.layers["lesion"].color_rgb == (0, 0, 255)  # type: ignore[attr-defined]
    assert window.case.undo_stack.count() == steps + 1  # type: ignore[attr-defined]
    r, g, b = overlay_rgb(window)
    assert b > r + 40 and b > g + 40, (r, g, b)
    path = tmp_path / "blue.osteoplan"
    assert window.case.save_to(path)  # type: ignore[attr-defined]
    assert case_io.read_case_file(path).case.layers["lesion"].color_rgb == (0, 0, 255)  # type: ignore[attr-defined]
    window.case.undo_stack.undo()  # type: ignore[attr-defined]
    assert overlay_is_red(window)
    window.case.undo_stack.setClean()  # type: ignore[attr-defined]


def test_a_renamed_layer_keeps_its_place_in_the_drawing_order(opened: object) -> None:
    # QA s20 F6: a rename and its undo moved the layer to the end of the display layers (drawn over the
    # others where masks overlap) while the case kept its order
    import dataclasses

    window = opened
    first = left_marker_layer(window)
    window.case.push(commands.AddLayer(first))  # type: ignore[attr-defined]
    window.case.push(commands.AddLayer(dataclasses.replace(first, name="second")))  # type: ignore[attr-defined]
    assert list(window.state.layers) == ["lesion", "second"]  # type: ignore[attr-defined]
    window.case.push(commands.RenameLayer("lesion", "first"))  # type: ignore[attr-defined]
    assert list(window.case.case.layers) == list(window.state.layers)  # type: ignore[attr-defined]
    window.case.undo_stack.undo()  # type: ignore[attr-defined]
    assert list(window.case.case.layers) == ["lesion", "second"]  # type: ignore[attr-defined]
    assert list(window.state.layers) == ["lesion", "second"]  # type: ignore[attr-defined]
    assert [window.layer_dock.list.item(i).text() for i in range(2)] == ["lesion", "second"]  # type: ignore[attr-defined]
    window.case.undo_stack.setClean()  # type: ignore[attr-defined]
