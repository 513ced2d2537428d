"""The vertebra's and the lesion's anatomy figures in the window: shown, copyable, kept with the case.

The vertebra phantom (tests/phantoms/vertebra.py): body centred at LPS (12, -18, 40) mm, semi-axes
22 x 16 mm, height 26 mm, the canal behind it (+y), 1 mm voxels. Run under Xvfb (see
tests/app/test_segmentation_tools.py).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from app.display_geometry import ViewAxis
from app.segmentation.lesion_row import COL_BREACH, COL_FIRST_FIGURE, COL_LEVEL, COLUMNS
from imaging.mask import Mask
from imaging.vertebra import find_vertebra
from imaging.vertebra_model import Side
from planning.case_io import load_case, save_case
from planning.layer_commands import EditMask
from planning.vertebra_figures import NO_REASON, figure_lines
from tests.app.test_segmentation_tools import (
    click,
    mask_at,
    pytestmark,  # noqa: F401  (gui marker and display check)
    wait_job,
)
from tests.app.test_view_orientation import grab_grey
from tests.phantoms.vertebra import make_vertebra_phantom

#: a lytic ball (local x, y, z, radius mm) at the back of the body, left of the midline: it reaches the
#: posterior wall and breaks the posterior cortex beside the canal
LESION = (10.0, 9.0, 0.0, 6.0)


def _cell(panel: Any, column_name: str) -> str:
    item = panel.table.item(0, COLUMNS.index(column_name))
    return "" if item is None else str(item.text())


def _detail(panel: Any, label: str) -> str:
    """The figure after ``label`` in the Lesions dock's details line ("posterior wall 1.0 mm" -> "1.0")."""
    text = str(panel.details.text())
    return text.split(label, 1)[1].split(maxsplit=1)[0] if label in text else ""


def _brute_distance_mm(volume: Any, a: Mask, b: Mask) -> float:
    """Nearest distance between two masks' voxel centres, every pair (the independent check)."""
    pa = volume.index_to_lps_points(a.voxel_indices())
    pb = volume.index_to_lps_points(b.voxel_indices())
    return float(min(np.min(np.linalg.norm(pb - p, axis=1)) for p in pa))


def test_vertebra_figures_box_endplates_and_saved(
    window: Any, qtbot: Any, no_dialogs: Any, tmp_path: Path
) -> None:
    win = window
    seg = win.segmentation
    ph = make_vertebra_phantom(wall_defect=(9.0, 3.0, 9.0))
    vol = ph.volume
    win.opener.show_volume(vol)
    seg.find_vertebra_at(np.asarray(ph.center_lps))
    wait_job(win, qtbot)
    case = win.case.case
    panel = seg.vertebra_panel
    figures = json.loads(str(case.layers["V1 body"].extra["figures"]))
    text = panel.figures_text()
    assert text.splitlines() == ["V1", *figure_lines(figures)]
    assert float(text.split("body: ")[1].split(" mL")[0]) == pytest.approx(ph.body_volume_ml, rel=0.2)
    assert "canal: " in text and " mm²" in text and "height " in text
    assert "posterior wall: " in text and "defect: " in text and "mm LPS" in text
    for side in ("left", "right"):
        assert f"{side} pedicle: narrowest " in text and "craniocaudal" in text and "mediolateral" in text
    assert "superior endplate: found" in text and "inferior endplate: found" in text
    # copyable: read-only text the operator can select and copy
    assert panel.figures.isReadOnly()
    panel.figures.selectAll()
    panel.figures.copy()
    assert QApplication.clipboard().text() == text

    # the endplates are layers drawn like the other parts
    sup = case.layers["V1 superior endplate"]
    assert sup.extra["part"] == "superior_endplate" and sup.extra["vertebra"] == "v1"
    assert mask_at(sup.mask, vol, ph.superior_endplate_center_lps)
    assert "V1 inferior endplate" in case.layers
    sagittal = win.views[ViewAxis.SAGITTAL]
    point = np.asarray(ph.superior_endplate_center_lps, dtype=float) + np.array([0.0, -6.0, 0.0])
    assert mask_at(sup.mask, vol, point)
    win.state.set_crosshair(point)
    qtbot.wait(50)
    p = sagittal.lps_to_widget(tuple(point))
    r, g, b = (int(v) for v in grab_grey(sagittal)[round(p.y()) + 3, round(p.x()) + 3])
    assert r > g + 15 and b > g + 15  # violet tint of the endplate layer over the white cortex

    # kept: saved with the case, and through naming (the layers are renamed)
    path = save_case(case, tmp_path / "figures.osteoplan")
    assert load_case(path).layers["V1 body"].extra["figures"] == case.layers["V1 body"].extra["figures"]
    panel.select("v1")
    assert panel.name_selected("L2")
    assert panel.figures_text().splitlines() == ["L2", *figure_lines(figures)]


def test_a_pedicle_not_traced_says_so_in_the_dock(window: Any, qtbot: Any, no_dialogs: Any) -> None:
    from app.segmentation.click_segmentation import _add_vertebra

    win = window
    seg = win.segmentation
    ph = make_vertebra_phantom()
    win.opener.show_volume(ph.volume)
    anatomy = find_vertebra(ph.volume, ph.center_lps)
    reason = "left pedicle cut by the edge of the image"
    without_left = dataclasses.replace(
        anatomy,
        pedicles={s: p for s, p in anatomy.pedicles.items() if s != Side.LEFT},
        notes=(*anatomy.notes, "left pedicle not traced", reason),
    )
    _add_vertebra(seg, without_left)
    lines = seg.vertebra_panel.figures_text().splitlines()
    assert "left pedicle: not traced - cut by the edge of the image" in lines
    assert any(line.startswith("right pedicle: narrowest") for line in lines)
    assert "V1 pedicle left" not in win.case.case.layers
    bare = dataclasses.replace(without_left, notes=(*anatomy.notes, "left pedicle not traced"))
    win.case.undo_stack.undo()  # the same vertebra again would be selected, not added
    _add_vertebra(seg, bare)  # no reason noted
    assert f"left pedicle: not traced - {NO_REASON}" in seg.vertebra_panel.figures_text().splitlines()


def test_lesion_wall_canal_pedicle_and_breach_place(window: Any, qtbot: Any, no_dialogs: Any) -> None:
    win = window
    seg = win.segmentation
    ph = make_vertebra_phantom(lesion=LESION)
    vol = ph.volume
    win.opener.show_volume(vol)
    axial = win.views[ViewAxis.AXIAL]
    seg.find_vertebra_at(ph.to_lps((-10.0, -8.0, 0.0)))  # body, right of the lesion
    wait_job(win, qtbot)
    win.state.set_crosshair(ph.lesion_center_lps)
    seg.activate(seg.lesion_tool)
    click(axial, ph.lesion_center_lps)
    wait_job(win, qtbot)
    panel = seg.lesion_panel
    panel.measure_now()
    assert panel.wait_measured()
    case = win.case.case
    lesion = case.layers["Lesion 1"].mask
    wall, canal = case.layers["V1 posterior wall"].mask, case.layers["V1 canal"].mask
    assert COLUMNS[COL_LEVEL] == "Level" and COL_FIRST_FIGURE < COL_BREACH < COL_LEVEL
    # involvement, where the lesion lies, not the wall's state (QA s31 C28: "Wall: yes" beside the Vertebrae
    # dock's "posterior wall intact" read as "breached"): header, cell and both tooltips say so
    assert _cell(panel, "Wall band") == "reaches"
    wall_column = COLUMNS.index("Wall band")
    header_tip = panel.table.horizontalHeaderItem(wall_column).toolTip()
    cell_tip = panel.table.item(0, wall_column).toolTip()
    for tip in (header_tip, cell_tip):
        assert "reaches" in tip and "posterior wall band" in tip and "not whether the wall is broken" in tip
    assert _detail(panel, "posterior wall") == "0.0"  # it overlaps the wall band
    assert float(_detail(panel, "canal")) == pytest.approx(_brute_distance_mm(vol, lesion, canal), abs=0.05)
    assert _detail(panel, "pedicle:") == "none"

    # where it breaks the cortex: said in the Breach cell's tooltip, double-click goes there
    assert _cell(panel, "Breach") == "yes"
    target = case.targets["Lesion 1"]
    figures = seg.lesion_figures.cached(vol, case, target)
    assert figures is not None and figures.lesion is not None and figures.lesion.cortical_breach_lps
    breach = np.asarray(figures.lesion.cortical_breach_lps[0])
    local = (breach - ph.center_lps) @ ph.local_to_lps_rotation  # the phantom's frame: +x left, +y back
    assert local[1] > 0 and local[0] > 4.0  # behind the body's centre, left of the midline
    tip = panel.table.item(0, COL_BREACH).toolTip()
    assert "left" in tip and "Check" not in tip  # its own tooltip, not the growth-limit warning
    assert f"breach: {figures.breach_places[0]}" in panel.details.text()
    assert f"({breach[0]:.1f}, {breach[1]:.1f}, {breach[2]:.1f}) mm LPS" in tip
    win.state.set_crosshair(ph.center_lps)  # elsewhere: the body's centre, 10 mm or more away
    assert np.linalg.norm(np.asarray(win.state.crosshair_lps) - breach) > 10.0
    panel.table.cellDoubleClicked.emit(0, COL_BREACH)
    assert np.allclose(win.state.crosshair_lps, breach, atol=1e-6)

    # the eraser run over the wall band: the lesion lies next to it, still involved, 1 voxel away
    touching = Mask.from_full(lesion.to_full() & ~wall.to_full())
    win.case.push(EditMask("Lesion 1", touching))
    panel.measure_now()
    assert panel.wait_measured()
    qtbot.waitUntil(lambda: _cell(panel, "Wall band") not in ("…", ""), timeout=10_000)
    assert _brute_distance_mm(vol, touching, wall) == pytest.approx(1.0)
    assert _detail(panel, "posterior wall") == "1.0"
    assert _cell(panel, "Wall band") == "reaches"

    # painted into the left pedicle (30 of its voxels): pedicle involvement left
    pedicle = case.layers["V1 pedicle left"].mask
    into = pedicle.voxel_indices()
    near = np.argsort(np.linalg.norm(vol.index_to_lps_points(into) - ph.lesion_center_lps, axis=1))[:30]
    grown = touching.to_full()
    grown[tuple(into[near].T)] = True
    win.case.push(EditMask("Lesion 1", Mask.from_full(grown)))
    panel.measure_now()
    assert panel.wait_measured()
    qtbot.waitUntil(lambda: _cell(panel, "Wall band") not in ("…", ""), timeout=10_000)
    assert _detail(panel, "pedicle:") == "left"
    win.case.undo_stack.undo()
    panel.measure_now()
    assert panel.wait_measured()
    qtbot.waitUntil(lambda: _detail(panel, "pedicle:") == "none", timeout=10_000)
