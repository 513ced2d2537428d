"""The Vertebrae dock tells the level the operator named from the levels counted from it, says a naming in
the status bar, and keeps the row a note talks about in view (QA s25 E6, E5, E10), in the real window (Xvfb).

- E6: rows read "T12 (...)", "L1 (...)", "L3 (...)" alike, the named anchor and the counted suggestions;
  the note saying which was named was gone after reopening. Now the named row reads "L3   named" (bold) and
  the others "L2   counted from L3, check", from the case (the layers' named flag): after undo / redo and
  after save / reopen alike.
- E5: after naming, the status bar kept the previous refusal for up to 12 s. Now the naming is said there
  (not emitted to the other docks: the Lesions dock's line shows no vertebra naming).
- E10: at 1280x1000 with five vertebrae the row of the one the note under the list talks about ("V5 lies
  74 mm below L3 ...") was scrolled out of view (L3, the fourth row, selected). Now it is scrolled into view.

"Vertebrae" are body layers on a plain grid (only body centroids count for naming), 36 mm apart along the
patient's axis (S, +z), the lowest far below (a gap); positions LPS mm.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.segmentation.vertebra_tool import PARTS
from imaging.image_files import write_image
from imaging.mask import Mask
from imaging.volume import Volume, affine_from_geometry
from planning.commands import AddLayer
from planning.model import MaskLayer
from tests.app.test_segmentation_tools import pytestmark  # noqa: F401  (gui marker and display check)

#: slices 2 mm, rows and columns 1.5 mm: 320 mm along z
SHAPE = (160, 40, 40)
SPACING_MM = (2.0, 1.5, 1.5)
#: body boxes by slice index [a, b): five with no gap (18 slices = 36 mm apart) and v9 far below them
BODY_SLICES = {
    "v1": (142, 152),
    "v2": (124, 134),
    "v3": (106, 116),
    "v4": (88, 98),
    "v5": (70, 80),
    "v9": (11, 21),
}
#: the refusal the QA saw stay in the status bar after the naming
OLD_REFUSAL = (
    "Vertebral anatomy: no vertebra at LPS (218.0, -141.3, 316.3) mm: the point lies outside the volume"
)


def _open_with_vertebrae(
    win: Any, qtbot: Any, tmp_path: Path, ids: tuple[str, ...], parts: tuple[str, ...] = ("body",)
) -> None:
    array = np.full(SHAPE, 40, dtype=np.int16)
    for a, b in BODY_SLICES.values():
        array[a:b, 10:30, 10:30] = 300
    volume = Volume(array, affine_from_geometry((-30.0, -30.0, 0.0), SPACING_MM, np.eye(3)))
    write_image(volume, tmp_path / "ct.nii.gz")
    _open(win, qtbot, tmp_path / "ct.nii.gz")
    for vid in ids:
        a, b = BODY_SLICES[vid]
        full = np.zeros(SHAPE, dtype=bool)
        full[a:b, 10:30, 10:30] = True
        for part in parts:  # the other parts are the body's box too: only their names are listed
            extra = {"vertebra": vid, "part": part, "level": ""}
            name = f"{vid.upper()} {PARTS[part][0]}"
            layer = MaskLayer(name, PARTS[part][1], Mask.from_full(full), (200, 200, 0), "", extra=extra)
            win.case.push(AddLayer(layer))


def _open(win: Any, qtbot: Any, path: Path) -> None:
    win.case.undo_stack.setClean()
    win.open_path(path)
    qtbot.waitUntil(lambda: win.state.display is not None and not win.opener.is_busy(), timeout=30000)
    qtbot.wait(20)


def _rows(panel: Any) -> list[tuple[str, bool]]:
    """Each row's level facts (its text before the parts found) and whether it is bold."""
    out = []
    for i in range(panel.list.count()):
        item = panel.list.item(i)
        out.append((item.text().split("   (")[0], item.font().bold()))
    return out


def _in_view(panel: Any, row: int) -> bool:
    """The whole height of the row is within the list's viewport (the row's end may be elided)."""
    rect = panel.list.visualItemRect(panel.list.item(row))
    return bool(rect.top() >= 0 and rect.bottom() < panel.list.viewport().height())


def test_the_named_level_is_told_apart_from_the_counted_ones_and_kept_with_the_case(
    window: Any, qtbot: Any, no_dialogs: Any, tmp_path: Path
) -> None:
    win = window
    _open_with_vertebrae(win, qtbot, tmp_path, ("v1", "v2", "v3"))
    panel = win.segmentation.vertebra_panel
    panel.select("v3")
    assert panel.name_selected("L3")
    named = [
        ("L1   counted from L3, check", False),
        ("L2   counted from L3, check", False),
        ("L3   named", True),
    ]
    assert _rows(panel) == named
    assert "named: the level you named" in panel.list.item(2).toolTip()

    # undo / redo of the naming
    win.case.undo_stack.undo()
    assert _rows(panel) == [("V1   unnamed", False), ("V2   unnamed", False), ("V3   unnamed", False)]
    win.case.undo_stack.redo()
    assert _rows(panel) == named

    # save / reopen: the anchor is still told apart (the note under the list is gone)
    path = tmp_path / "named.osteoplan"
    assert win.case.save_to(path)
    _open(win, qtbot, path)
    assert panel.notes.text() == ""
    assert _rows(panel) == named
    win.case.undo_stack.setClean()


def test_a_naming_is_said_in_the_status_bar_not_in_the_lesions_dock(
    window: Any, qtbot: Any, no_dialogs: Any, tmp_path: Path
) -> None:
    win = window
    _open_with_vertebrae(win, qtbot, tmp_path, ("v1", "v2", "v3"))
    panel = win.segmentation.vertebra_panel
    win.segmentation.jobs.say(OLD_REFUSAL)  # a refused click, said to the Lesions dock's line too
    assert win.segmentation.lesion_panel.info.text() == OLD_REFUSAL
    panel.select("v3")
    assert panel.name_selected("L3")
    said = win.statusBar().currentMessage()
    assert said == "Vertebrae: Named L3. By counting (suggestions, check them): L1, L2.", said
    assert win.segmentation.lesion_panel.info.text() == OLD_REFUSAL
    # a naming refused is said there too
    assert not panel.name_selected("L9")
    assert (
        win.statusBar().currentMessage()
        == "Vertebrae: L9 is not a vertebral level: type C1-C7, T1-T12, L1-L5 or S1."
    )
    win.case.undo_stack.setClean()


@pytest.mark.parametrize("found", [4, 5])
def test_the_row_a_note_talks_about_is_in_view(
    window: Any, qtbot: Any, no_dialogs: Any, tmp_path: Path, found: int
) -> None:
    """``found`` vertebrae with no gap, the lowest named L4 / L5, and V9 across a gap below: five rows as
    the QA saw, and six, more than the list shows (five rows once no sideways scroll bar takes one)."""
    win = window
    win.resize(1280, 1000)
    # as found by the tool: each row lists the parts found, wider than the dock
    ids = (*[f"v{i}" for i in range(1, found + 1)], "v9")
    _open_with_vertebrae(win, qtbot, tmp_path, ids, tuple(PARTS)[:6])
    panel = win.segmentation.vertebra_panel
    panel.raise_()
    panel.select(f"v{found}")
    assert panel.name_selected(f"L{found}")
    qtbot.wait(50)
    gap_mm = SPACING_MM[0] * (BODY_SLICES[f"v{found}"][0] - BODY_SLICES["v9"][0])
    assert panel.level_notes_text().startswith(f"V9 lies {gap_mm:.0f} mm below L{found}, about")
    rows = [str(panel.list.item(i).text()) for i in range(panel.list.count())]
    assert len(rows) == found + 1 and rows[found].startswith("V9   unnamed")
    item = panel.list.item(found)
    print(
        "VIEW",
        panel.list.viewport().rect(),
        [panel.list.visualItemRect(panel.list.item(i)) for i in range(found + 1)],
    )
    assert _in_view(panel, found), (panel.list.viewport().rect(), panel.list.visualItemRect(item))
    # the named one, selected, is the row above it: in view too
    assert panel.selected_id() == f"v{found}" and _in_view(panel, found - 1)
    win.case.undo_stack.setClean()
