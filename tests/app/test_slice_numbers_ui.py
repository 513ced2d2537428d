"""A slice number in an import note finds that slice in the views (imaging.slice_numbers).

A DICOM series with a missing slice, head first and feet first, opened in the real window: the Import
panel's note names the made-up slice by a number; the operator scrolls the axial view to it (Home, then
Down arrow presses) and must land on the made-up slice, whose LPS position is known by construction
(the position the writer gave the dropped slice). The corner label and the status bar show the same
number, and the view's amber note says the slice is interpolated. Positions LPS mm.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from app.display_geometry import ViewAxis
from tests.app.conftest import marker_volume

pytest.importorskip("imaging.load")
dicom_writer = pytest.importorskip("tests.phantoms.dicom_writer")

#: the bare views (no tool overlays needed here)
WINDOW_EXTENSIONS = False
#: written slice left out of the 32-slice series: off the middle, so counting from the wrong end of
#: the stack gives another slice
DROPPED = 9
NOTE = re.compile(r"axial slice (\d+)/(\d+) in the views\) is interpolated")


@pytest.mark.parametrize("feet_first", [False, True])
def test_note_number_scrolled_to_is_the_made_up_slice(
    window: object, qtbot: object, tmp_path: Path, no_dialogs: list[tuple[str, str]], feet_first: bool
) -> None:
    volume = marker_volume(np.eye(3), shape=(32, 64, 56))
    written = dicom_writer.write_dicom_series(
        volume, tmp_path / "gap", drop_slices=[DROPPED], feet_first=feet_first
    )
    window.open_path(tmp_path / "gap")  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: not window.opener.is_busy(), timeout=30000)  # type: ignore[attr-defined]
    state = window.state  # type: ignore[attr-defined]
    assert no_dialogs == [] and state.display is not None
    made_up_lps = written.volume.index_to_lps_points(np.array([float(DROPPED), 0.0, 0.0]))
    notes = " ".join(window.import_warnings)  # type: ignore[attr-defined]
    found = NOTE.search(notes)
    assert found is not None, notes
    number, count = int(found.group(1)), int(found.group(2))

    axial = window.views[ViewAxis.AXIAL]  # type: ignore[attr-defined]
    assert count == axial.slice_count()
    axial.setFocus()
    qtbot.keyClick(axial, Qt.Key.Key_Home)  # type: ignore[attr-defined]
    for _ in range(number - 1):
        qtbot.keyClick(axial, Qt.Key.Key_Down)  # type: ignore[attr-defined]
    qtbot.wait(50)  # type: ignore[attr-defined]
    # the slice shown is the one through the made-up slice's position, and says it is interpolated
    assert axial.slice_index() == state.display.slice_index(ViewAxis.AXIAL, made_up_lps)
    assert abs(float(state.crosshair_lps[2]) - float(made_up_lps[2])) < 1e-3
    assert axial.interpolated.label.isVisible()
    assert f"Axial  {number}/{count}" in axial.label_lines()[0]
    shown: list[str] = []
    axial.cursor_info.connect(shown.append)
    for where in (axial.rect().center() - QPoint(20, 20), axial.rect().center()):  # a move, wherever it was
        qtbot.mouseMove(axial, where)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: bool(shown), timeout=2000)  # type: ignore[attr-defined]
    assert f"slice {number}/{count}" in shown[-1]

    # the same number typed in (SliceView.show_slice_number) lands there too, from the other end
    qtbot.keyClick(axial, Qt.Key.Key_End)  # type: ignore[attr-defined]
    axial.show_slice_number(number)
    assert axial.slice_index() == state.display.slice_index(ViewAxis.AXIAL, made_up_lps)
    with pytest.raises(ValueError, match="number"):
        axial.show_slice_number(count + 1)
