"""Needle planning GUI on the vertebra phantom: bilateral transpedicular proposal (vertebra found in a
worker), readouts against the phantom's truth, reslices along the needle, cement & risk panel.

Phantom: tests/phantoms/vertebra.py (body centre, pedicle axes and canal known by construction,
1 mm grid). Positions LPS mm; tolerances in mm.
"""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

from app.loading import wait_until
from app.segmentation.lesion_row import COL_BREACH, COL_FIRST_FIGURE
from app.theme import AMBER, OK
from imaging.mask import Mask
from imaging.vertebra_model import Side
from planning.commands import AddLayer, AddTarget, UpdateTarget, UpdateTrajectory
from planning.model import (
    DEFAULT_PEDICLE_SAFETY_MARGIN_MM,
    AblationSpec,
    LayerKind,
    LesionType,
    MaskLayer,
    Target,
    TargetKind,
)
from planning.pedicle_fit import fit_warning
from planning.vertebra_figures import width_uncertainty_said
from tests.phantoms.vertebra import make_vertebra_phantom

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(
        not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"),
        reason="GUI tests need a display: run them under xvfb-run",
    ),
]

LESION_RADIUS_MM = 6.0


@pytest.fixture(scope="module")
def phantom() -> object:
    return make_vertebra_phantom(lesion=(0.0, -4.0, 0.0, LESION_RADIUS_MM), seed=3)


@pytest.fixture
def planned(window: object, qtbot: object, no_dialogs: object, phantom: object) -> object:
    """The phantom open, its lesion and canal as layers, a spinal target, both pedicle needles proposed."""
    ui = getattr(window, "planning_ui", None)
    if ui is None:
        from app.planning_ui import install

        ui = install(window)  # type: ignore[arg-type]
    window.opener.show_volume(phantom.volume)  # type: ignore[attr-defined]
    centre = tuple(float(v) for v in phantom.center_lps)  # type: ignore[attr-defined]
    lesion_centre = tuple(float(v) for v in phantom.lesion_center_lps)  # type: ignore[attr-defined]
    window.case.push(
        AddLayer(MaskLayer.new("L2 lesion", LayerKind.LESION, Mask.from_full(phantom.lesion_mask)))
    )  # type: ignore[attr-defined]
    window.case.push(AddLayer(MaskLayer.new("L2 canal", LayerKind.CANAL, Mask.from_full(phantom.canal_mask))))  # type: ignore[attr-defined]
    window.case.push(  # type: ignore[attr-defined]
        AddTarget(
            Target(
                "L2",
                kind=TargetKind.SPINE,
                level="L2",
                lesion_seed_lps=lesion_centre,
                vertebra_lps=centre,
                lesion_layer="L2 lesion",
                lesion_type="lytic",
            )
        )
    )
    ui.controller.select_target("L2")
    ui.trajectory_panel.propose("bilateral")
    assert wait_until(lambda: len(window.case.case.trajectories) >= 2, 60000)  # type: ignore[attr-defined]
    return ui


def test_bilateral_proposal_follows_the_pedicles_and_readouts_match(
    planned: object, window: object, phantom: object
) -> None:
    trajs = list(window.case.case.trajectories.values())  # type: ignore[attr-defined]
    approaches = sorted(t.approach.value for t in trajs)
    assert approaches == ["transpedicular-left", "transpedicular-right"]
    for t in trajs:
        side = Side.LEFT if t.approach.value.endswith("left") else Side.RIGHT
        truth = phantom.pedicles[side]  # type: ignore[attr-defined]
        # the needle axis passes within 1.5 mm of the true isthmus centre (anatomy found on a 1 mm grid)
        a, b = np.asarray(t.entry_lps), np.asarray(t.target_lps)
        d = (b - a) / np.linalg.norm(b - a)
        q = np.asarray(truth.isthmus_lps) - a
        assert np.linalg.norm(q - (q @ d) * d) < 1.5
        # the left needle lies on the patient's left (+x) of the body centre at its entry
        assert np.sign(a[0] - phantom.center_lps[0]) == (1 if side == Side.LEFT else -1)  # type: ignore[attr-defined]
    # readouts of the selected needle: length and canal clearance match the geometry
    c = planned.controller  # type: ignore[attr-defined]
    t = c.trajectory()
    panel = planned.trajectory_panel  # type: ignore[attr-defined]
    shown = float(re.match(r"([\d.]+) mm", panel.readouts["length"].text()).group(1))  # type: ignore[union-attr]
    assert shown == pytest.approx(t.length_mm, abs=0.051)
    canal_text = panel.readouts["canal"].text()
    m = c.metrics(t)
    assert m.canal_distance_mm is not None and m.canal_distance_mm > 0
    assert canal_text.startswith(f"{m.canal_distance_mm:.1f} mm")
    assert "ENTERS" not in canal_text
    width_text = panel.readouts["pedicle"].text()
    unsure = c.pedicle_width_uncertainty_mm(t)
    assert unsure is not None and unsure >= 0.5  # at least half the phantom's 1 mm voxel
    said = width_uncertainty_said(unsure)
    assert width_text.startswith(
        f"{c.pedicle_width_mm(t):.1f} mm (±{said:.1f} mm on this scan) vs needle 2.41 mm"
    )
    assert c.pedicle_width_mm(t) == pytest.approx(8.0, abs=1.5)  # the phantom's isthmus is 8 mm wide
    assert panel.readouts["pedicle"].styleSheet() == OK
    # a width whose range reaches under the needle plus the safety margin reads amber (QA s25 E2)
    low_end = c.pedicle_width_mm(t) - (2.41 + DEFAULT_PEDICLE_SAFETY_MARGIN_MM) + 0.1
    c.pedicle_width_uncertainty_mm = lambda traj: low_end  # type: ignore[method-assign]
    try:
        panel.readouts_box.show_readouts(t)
        assert panel.readouts["pedicle"].styleSheet() == AMBER
        # with the plan's words for it (planning.pedicle_fit; the plan's trajectory warning says the same)
        words = fit_warning(c.pedicle_width_mm(t), low_end, 2.41, DEFAULT_PEDICLE_SAFETY_MARGIN_MM)
        assert words is not None and "may be under the needle's 2.41 mm + 1 mm margin" in words
        assert f"⚠ {words}" in panel.warnings.text().splitlines()
    finally:
        del c.pedicle_width_uncertainty_mm
        panel.readouts_box.show_readouts(t)
    assert panel.readouts["pedicle"].styleSheet() == OK
    # what the proposal said about this needle stays with it (the status bar shows it for seconds):
    # the 15 mm antenna would have left the body from the anterior-middle third, so the tip was drawn back
    said = panel.warnings.text()
    assert "When proposed:" in said and "short of the anterior-middle third" in said, said


def test_needle_through_the_canal_is_flagged_red(planned: object, window: object, phantom: object) -> None:
    c = planned.controller  # type: ignore[attr-defined]
    t = c.trajectory()
    canal_centre = tuple(float(v) for v in phantom.canal_centroid_lps)  # type: ignore[attr-defined]
    from dataclasses import replace

    window.case.push(UpdateTrajectory(t.name, replace(t, target_lps=canal_centre)))  # type: ignore[attr-defined]
    lab = planned.trajectory_panel.readouts["canal"]  # type: ignore[attr-defined]
    assert "ENTERS THE CANAL" in lab.text()
    assert "ff5c5c" in lab.styleSheet()
    window.case.undo_stack.undo()  # type: ignore[attr-defined]
    assert "ENTERS" not in lab.text()


def test_a_breached_pedicle_wall_is_named_for_its_side(
    planned: object, window: object, phantom: object
) -> None:
    # the proposed needle moved across itself in the axial plane, away from the midline or towards it,
    # by its clearance at the proposal (the room the found pedicle mask leaves it) + 1 mm, breaches the
    # pedicle: the readouts name the wall the planner found, lateral or medial (before, every
    # converging needle's breach was called medial; then a lateral one inferior, from a notch in the
    # found mask's front)
    from dataclasses import replace

    from planning.pedicle_clearance import BreachSide

    c = planned.controller  # type: ignore[attr-defined]
    t = c.trajectory()
    panel = planned.trajectory_panel  # type: ignore[attr-defined]
    a, b = np.asarray(t.entry_lps), np.asarray(t.target_lps)
    d = (b - a) / np.linalg.norm(b - a)
    across = np.cross([0.0, 0.0, 1.0], d)
    across /= np.linalg.norm(across)
    if np.sign(across[0]) != np.sign(a[0] - phantom.center_lps[0]):  # type: ignore[attr-defined]
        across = -across  # away from the midline
    assert abs(a[0] - phantom.center_lps[0]) > abs(b[0] - phantom.center_lps[0])  # type: ignore[attr-defined]
    room = c.metrics(t).pedicle_clearance_mm
    assert room is not None and room > 0
    for shift in (room + 1.0, -(room + 1.0)):
        moved = replace(t, entry_lps=tuple(a + shift * across), target_lps=tuple(b + shift * across))
        window.case.push(UpdateTrajectory(t.name, moved))  # type: ignore[attr-defined]
        m = c.metrics(c.trajectory())
        assert m.pedicle_clearance_mm is not None and m.pedicle_clearance_mm < 0
        side = m.pedicle_breach_side
        assert side is not None
        assert side is (BreachSide.LATERAL if shift > 0 else BreachSide.MEDIAL)
        assert panel.readouts["clearance"].text().endswith(f"({side.value} wall)")
        canal = panel.readouts["canal"].text()
        if shift > 0:
            assert "MEDIAL WALL BREACH" not in canal and "ENTERS" not in canal
        else:  # the phantom's canal borders the pedicle's medial wall: through it is into the canal
            assert "MEDIAL WALL BREACH" in canal or "ENTERS THE CANAL" in canal
            assert "ff5c5c" in panel.readouts["canal"].styleSheet()
        window.case.undo_stack.undo()  # type: ignore[attr-defined]


def test_reslices_show_the_needle_plane(planned: object, window: object, qtbot: object) -> None:
    ui = planned
    ui.docks["along"].show()  # type: ignore[attr-defined]
    ui.docks["along"].raise_()  # type: ignore[attr-defined]
    t = ui.controller.trajectory()  # type: ignore[attr-defined]
    for view in (ui.in_plane, ui.probe):  # type: ignore[attr-defined]
        view.resize(300, 300)
        view.refresh()
        assert view._image is not None
    # the in-plane reslice contains the needle: its entry and tip project on the image's middle row
    view = ui.in_plane  # type: ignore[attr-defined]
    e, tip = view.lps_to_widget(t.entry_lps), view.lps_to_widget(t.target_lps)
    rect = view._rect()
    assert e.y() == pytest.approx(rect.center().y(), abs=0.5)
    assert tip.y() == pytest.approx(rect.center().y(), abs=0.5)
    assert tip.x() > e.x()  # entry on the left, tip on the right
    # the tip lies in the vertebral body: bright bone in the reslice at the tip (window 1800/400)
    grey = view._buffer
    n = grey.shape[0]
    col = round((tip.x() - rect.left()) / rect.width() * n - 0.5)
    assert grey[n // 2, col] > apply_grey(100.0)
    # probe's eye at the tip depth: the needle circle sits at the image centre
    ui.depth.setValue(round(t.length_mm))  # type: ignore[attr-defined]
    probe = ui.probe  # type: ignore[attr-defined]
    centre = probe.lps_to_widget(t.target_lps)
    assert centre.x() == pytest.approx(probe._rect().center().x(), abs=1.0)


def apply_grey(hu: float) -> int:
    from app.display_geometry import apply_window

    return int(apply_window(np.array([hu]), 1800, 400)[0])


def test_cement_panel_estimates_and_draws_leakage_zones(
    planned: object, window: object, qtbot: object
) -> None:
    ui = planned
    t = ui.controller.trajectory()  # type: ignore[attr-defined]
    from dataclasses import replace

    spec = AblationSpec(width_mm=20.0, length_mm=24.0, center_behind_tip_mm=8.0)
    window.case.push(UpdateTrajectory(t.name, replace(t, ablation=spec)))  # type: ignore[attr-defined]
    panel = ui.cement_panel  # type: ignore[attr-defined]
    panel.compute()
    assert wait_until(lambda: panel.analysis is not None or panel.estimate.text().startswith("Not"), 60000)
    assert panel.analysis is not None, panel.estimate.text()
    ce = panel.analysis.cement
    lo, hi = ce.range_ml
    assert lo <= ce.estimate_ml <= hi
    assert f"Cement {ce.estimate_ml:.1f} mL" in panel.estimate.text()
    assert panel.risk.text().startswith("Leakage risk: ")
    names = [panel.zone_list.item(i).text() for i in range(panel.zone_list.count())]
    assert any("posterior" in n.lower() for n in names)
    assert ui.overlays.groups["leakage"]  # type: ignore[attr-defined]
    assert "aliquots" in panel.protocol.text()
    inj = panel.analysis.injection
    checks = re.search(r"about (\d+) CT checks( \((\d+)-(\d+)\))?", panel.protocol.text())
    assert checks is not None and int(checks.group(1)) == inj.ct_checks
    lo, hi = inj.ct_checks_range
    assert (checks.group(2) is None) == (lo == hi)  # "(7-7)" is not written
    # the operator's type wins over the measured one: blastic sends the estimate to the osteogenic
    # vertebra series
    assert ce.site.value == "vertebra"
    target = window.case.case.targets["L2"]  # type: ignore[attr-defined]
    window.case.push(UpdateTarget("L2", replace(target, lesion_type=LesionType.BLASTIC)))  # type: ignore[attr-defined]
    panel.analysis = None
    panel.compute()
    assert wait_until(lambda: panel.analysis is not None or panel.estimate.text().startswith("Not"), 60000)
    assert panel.analysis is not None and panel.analysis.cement.site.value == "vertebra-osteogenic"
    window.case.undo_stack.setClean()  # type: ignore[attr-defined]


def test_a_planned_cement_volume_replaces_the_estimate_and_is_undoable(
    planned: object, window: object, qtbot: object
) -> None:
    # the operator's planned volume (Planned field) replaces the estimate in the estimate, the
    # injection protocol and the case (one undo step); 0 gives the estimate back
    ui = planned
    panel = ui.cement_panel  # type: ignore[attr-defined]
    _risk_text(panel)
    first = panel.analysis.cement  # type: ignore[attr-defined]
    assert not first.chosen
    steps = window.case.undo_stack.count()  # type: ignore[attr-defined]
    planned_ml = round(first.estimate_ml + 1.5, 1)
    panel.planned.setValue(planned_ml)  # type: ignore[attr-defined]
    assert window.case.case.cement["L2"].planned_ml == pytest.approx(planned_ml)  # type: ignore[attr-defined]
    assert window.case.undo_stack.count() == steps + 1  # type: ignore[attr-defined]
    _risk_text(panel)
    ce = panel.analysis.cement  # type: ignore[attr-defined]
    assert ce.chosen and ce.estimate_ml == pytest.approx(planned_ml)
    assert f"Cement {planned_ml:.1f} mL, the volume you planned" in panel.estimate.text()  # type: ignore[attr-defined]
    assert panel.analysis.injection.planned_volume_ml == pytest.approx(planned_ml)  # type: ignore[attr-defined]
    window.case.undo_stack.undo()  # type: ignore[attr-defined]
    assert panel.planned.value() == 0.0  # type: ignore[attr-defined]
    _risk_text(panel)
    assert panel.analysis.cement.estimate_ml == pytest.approx(first.estimate_ml)  # type: ignore[attr-defined]
    window.case.undo_stack.setClean()  # type: ignore[attr-defined]


def _risk_text(panel: object) -> str:
    panel.analysis = None  # type: ignore[attr-defined]
    panel.compute()  # type: ignore[attr-defined]
    assert wait_until(lambda: panel.analysis is not None or panel.estimate.text().startswith("Not"), 60000)  # type: ignore[attr-defined]
    assert panel.analysis is not None, panel.estimate.text()  # type: ignore[attr-defined]
    return str(panel.risk.text())  # type: ignore[attr-defined]


def test_an_edited_lesion_is_measured_as_drawn(
    planned: object, window: object, qtbot: object, phantom: object
) -> None:
    # the operator paints the L2 lesion out through the body's anterior cortex (a 2 mm brush to 6 mm
    # beyond it): the Lesions dock's figures and the cement panel's leakage risk follow the mask, and
    # undo brings the first ones back. (Before, both read what was stored when the lesion was made, and
    # the cement panel never saw a cortical breach.)
    from planning.layer_commands import EditMask

    ui = planned
    vol = phantom.volume  # type: ignore[attr-defined]
    seg = window.segmentation  # type: ignore[attr-defined]
    lesion_panel = seg.lesion_panel
    before = _risk_text(ui.cement_panel)  # type: ignore[attr-defined]
    assert "breaks the cortex" not in before
    lesion_panel.measure_now()
    assert lesion_panel.wait_measured()
    first = lesion_panel.table.item(0, COL_FIRST_FIGURE).text()
    assert first == f"{phantom.lesion_mask.sum() * vol.voxel_volume_ml:.2f}"  # type: ignore[attr-defined]

    start = np.asarray(phantom.lesion_center_lps, dtype=float)  # type: ignore[attr-defined]
    anterior = np.asarray(phantom.center_lps, dtype=float) - np.array(
        [0.0, phantom.body_semi_axes_mm[1], 0.0]
    )  # type: ignore[attr-defined]
    end = anterior - np.array([0.0, 6.0, 0.0])  # LPS: -y is anterior
    idx = np.stack(np.meshgrid(*[np.arange(n) for n in vol.shape], indexing="ij"), -1).reshape(-1, 3)
    pts = vol.index_to_lps_points(idx.astype(float))
    d = (end - start) / np.linalg.norm(end - start)
    t = np.clip((pts - start) @ d, 0.0, float(np.linalg.norm(end - start)))
    stroke = (np.linalg.norm(pts - (start + t[:, None] * d), axis=1) <= 2.0).reshape(vol.shape)
    painted = phantom.lesion_mask | stroke  # type: ignore[attr-defined]
    window.case.push(EditMask("L2 lesion", Mask.from_full(painted)))  # type: ignore[attr-defined]

    qtbot.waitUntil(
        lambda: lesion_panel.table.item(0, COL_FIRST_FIGURE).text() not in ("…", first), timeout=10000
    )
    assert lesion_panel.table.item(0, COL_FIRST_FIGURE).text() == f"{painted.sum() * vol.voxel_volume_ml:.2f}"
    assert lesion_panel.table.item(0, COL_BREACH).text() == "yes"  # cortical breach
    after = _risk_text(ui.cement_panel)  # type: ignore[attr-defined]
    assert "breaks the cortex" in after

    window.case.undo_stack.undo()  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: lesion_panel.table.item(0, COL_FIRST_FIGURE).text() == first, timeout=10000)
    assert lesion_panel.table.item(0, COL_BREACH).text() == "no"
    assert "breaks the cortex" not in _risk_text(ui.cement_panel)  # type: ignore[attr-defined]


def test_proposals_keep_clear_of_the_canal_as_the_case_draws_it(
    planned: object, window: object, phantom: object
) -> None:
    """The operator grows the canal layer by 2.5 mm (say, epidural tumour drawn in): proposed needles
    keep their 1 mm from that canal, as the readouts measure it (they used to be placed against the
    anatomy's own canal, found again from another click, and read 0.3 mm from the drawn one)."""
    from imaging.mask_edit import grow_shrink
    from planning.commands import EditMask, RemoveTrajectory

    case = window.case  # type: ignore[attr-defined]
    for name in list(case.case.trajectories):
        case.push(RemoveTrajectory(name))
    grown = grow_shrink(case.case.layers["L2 canal"].mask, phantom.volume, 2.5).mask  # type: ignore[attr-defined]
    case.push(EditMask("L2 canal", grown))
    planned.trajectory_panel.propose("bilateral")  # type: ignore[attr-defined]
    assert wait_until(lambda: len(case.case.trajectories) >= 2, 60000)
    c = planned.controller  # type: ignore[attr-defined]
    for t in case.case.trajectories.values():
        m = c.metrics(t)
        assert m.canal_distance_mm is not None
        # the margin, within half the 1 mm grid's voxel of the grown mask's surface
        assert m.canal_distance_mm >= DEFAULT_PEDICLE_SAFETY_MARGIN_MM - 0.5, (t.name, m.canal_distance_mm)


def test_pedicle_readouts_turn_amber_when_the_room_is_tight(
    planned: object, window: object, phantom: object
) -> None:
    """Green with room to spare; amber once the needle comes within half the case's 1 mm pedicle safety
    margin of the pedicle's cortex (it stayed green down to 0 mm); red through it."""
    from app.planning_ui.needle_readouts import clearance_caution_mm
    from app.theme import AMBER, OK, RED
    from planning.commands import MoveTrajectoryEntry, MoveTrajectoryTarget

    c = planned.controller  # type: ignore[attr-defined]
    panel = planned.trajectory_panel  # type: ignore[attr-defined]
    t = c.trajectory()
    clearance = c.metrics(t).pedicle_clearance_mm
    assert clearance is not None and clearance > 1.0
    assert panel.readouts["clearance"].styleSheet() == OK
    assert panel.readouts["pedicle"].styleSheet() == OK  # 8 mm for a 2.41 mm needle
    outward = np.array([np.sign(t.entry_lps[0] - phantom.center_lps[0]), 0.0, 0.0])  # type: ignore[attr-defined]
    case = window.case  # type: ignore[attr-defined]
    seen = set()
    start = case.undo_stack.index()
    for move_mm in np.arange(-4.0, 4.01, 0.25):  # across the pedicle, both ways
        shift = move_mm * outward
        case.push(MoveTrajectoryEntry(t.name, tuple(float(v) for v in np.asarray(t.entry_lps) + shift)))
        case.push(MoveTrajectoryTarget(t.name, tuple(float(v) for v in np.asarray(t.target_lps) + shift)))
        got = c.metrics(case.case.trajectories[t.name]).pedicle_clearance_mm
        if got is not None:
            caution = clearance_caution_mm(case.case.settings.pedicle_safety_margin_mm)
            want = RED if got < 0 else (AMBER if got < caution else OK)
            assert panel.readouts["clearance"].styleSheet() == want, (move_mm, got)
            seen.add(want)
        case.undo_stack.setIndex(start)
    assert seen == {OK, AMBER, RED}  # every band met on the way across
