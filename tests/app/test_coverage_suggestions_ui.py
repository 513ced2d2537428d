"""Coverage dock suggestions with two needles: measured against both needles' zones (what "Covered"
shows), each naming the needle it changes; applying one changes that needle and reaches the figure it
promised. Cement dock outside the spine: no wall or foramen wording, the borrowed fill marked.

Phantom: conftest's marker volume (grid centred on the LPS origin) with a lytic ellipsoidal lesion
(20 HU, semi-axes 10 x 22 x 8 mm, the long one along the needles) in a bone ellipsoid, and two parallel
needles travelling anteriorly (-y) 14 mm apart, custom zones 30 mm wide and 34 mm long covering the
lesion's anterior part. Positions LPS mm.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from imaging.mask import Mask
from imaging.volume import Volume
from planning.commands import AddLayer, AddTarget, AddTrajectory
from planning.model import AblationSpec, Approach, LayerKind, MaskLayer, Target, TargetKind, Trajectory
from tests.app.conftest import marker_volume

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(
        not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"),
        reason="GUI tests need a display: run them under xvfb-run",
    ),
]

LESION_SEMI_AXES_MM = (10.0, 22.0, 8.0)
#: a lytic lesion in trabecular bone inside a cortex (CLINICAL.md: lytic roughly 0-100 HU; normal
#: trabecular bone 89-226 HU by age; cortical bone roughly 1000-2000 HU)
LYTIC_HU, TRABECULAR_HU, CORTICAL_HU = 20, 200, 1200
SPEC = AblationSpec(width_mm=30.0, length_mm=34.0, center_behind_tip_mm=10.0)
EXTENSION_MM = 15.0


def _ellipsoid(p: np.ndarray, semi_axes_mm: tuple[float, float, float]) -> np.ndarray:
    """Voxels (LPS positions ``p`` [..., 3]) inside an ellipsoid centred on the origin."""
    return np.sum((p / np.asarray(semi_axes_mm)) ** 2, axis=-1) <= 1.0


@pytest.fixture
def planning(window: object, qtbot: object, no_dialogs: object) -> object:
    """The window with the planning tools on the marker phantom."""
    from app.planning_ui import install

    ui = getattr(window, "planning_ui", None) or install(window)  # type: ignore[arg-type]
    base = marker_volume(np.eye(3))
    p = base.index_to_lps_points(np.indices(base.shape).reshape(3, -1).T.astype(float)).reshape(
        *base.shape, 3
    )
    hu = base.array.copy()
    # a bone around the lesion (cortex 3 mm thick), for the lesion's measurement against it
    hu[_ellipsoid(p, (31.0, 37.0, 27.0))] = CORTICAL_HU
    hu[_ellipsoid(p, (28.0, 34.0, 24.0))] = TRABECULAR_HU
    hu[_ellipsoid(p, LESION_SEMI_AXES_MM)] = LYTIC_HU
    window.opener.show_volume(Volume(hu, base.index_to_lps))  # type: ignore[attr-defined]
    qtbot.wait(10)  # type: ignore[attr-defined]
    return ui


def _add_case(window: object, kind: TargetKind) -> None:
    vol = window.case.volume  # type: ignore[attr-defined]
    p = vol.index_to_lps_points(np.indices(vol.shape).reshape(3, -1).T.astype(float)).reshape(*vol.shape, 3)
    mask = Mask.from_full(_ellipsoid(p, LESION_SEMI_AXES_MM))
    window.case.push(AddLayer(MaskLayer.new("T1 lesion", LayerKind.LESION, mask)))  # type: ignore[attr-defined]
    level = "L3" if kind == TargetKind.SPINE else ""
    target = Target(
        "T1",
        kind=kind,
        level=level,
        lesion_seed_lps=(0.0, 0.0, 0.0),
        lesion_layer="T1 lesion",
        lesion_type="lytic",
    )
    window.case.push(AddTarget(target))  # type: ignore[attr-defined]
    for k, x in enumerate((-7.0, 7.0)):
        # zone centre at y = -10: needle tip 5 mm behind it (15 mm antenna, centre 10 mm behind its tip)
        tip = (x, -5.0, 0.0)
        entry = (x, 55.0, 0.0)
        traj = Trajectory(f"T1 needle {k + 1}", "T1", Approach.DIRECT, entry, tip, ablation=SPEC)
        window.case.push(AddTrajectory(traj))  # type: ignore[attr-defined]


def test_two_needle_suggestions_agree_with_the_coverage_figure(
    planning: object, window: object, qtbot: object
) -> None:
    _add_case(window, TargetKind.EXTRASPINAL)
    c = planning.controller  # type: ignore[attr-defined]
    c.select_target("T1")
    c.select("T1 needle 1")
    panel = planning.coverage_panel  # type: ignore[attr-defined]
    panel.recompute()
    r = panel.result
    assert r is not None and r.covered_percent < 99.0
    one = c.coverage_context(c.target()).evaluate(c.zones(c.trajectory("T1 needle 1")))
    assert one.uncovered_ml > r.uncovered_ml + 0.5  # the second needle covers part of the target
    texts = [panel.suggestion_list.item(i).text() for i in range(panel.suggestion_list.count())]
    assert texts and len(texts) == len(panel.suggestions)
    # the further needle quotes what both needles leave uncovered, not what needle 1 alone leaves
    second = [s for s in panel.suggestions if s.kind == "second_trajectory"]
    assert second and f"{r.uncovered_ml:.2f} mL" in second[0].text
    names = set(window.case.case.trajectories)  # type: ignore[attr-defined]
    for s, text in zip(panel.suggestions, texts, strict=True):
        assert s.covered_percent is not None and s.covered_percent > r.covered_percent
        assert not any(w in text for w in ("vertebra", "pedicle"))  # an extraspinal target
        assert any(n in text for n in names)
        assert s.trajectory in names and s.trajectory in text
    # apply the pull-back of needle 2 while needle 1 is selected: needle 2 changes, the figure follows
    row, s = next((i, s) for i, s in enumerate(panel.suggestions) if s.trajectory == "T1 needle 2")
    assert s.kind == "pullback"
    panel.suggestion_list.setCurrentRow(row)
    panel.apply_selected()
    trajs = window.case.case.trajectories  # type: ignore[attr-defined]
    assert trajs["T1 needle 2"].ablation_positions_mm == s.pullback_mm
    assert trajs["T1 needle 1"].ablation_positions_mm == (0.0,)
    panel.recompute()
    assert panel.result is not None and panel.result.covered_percent == pytest.approx(s.covered_percent)


def test_a_spinal_target_with_one_needle_mentions_the_opposite_pedicle(
    planning: object, window: object, qtbot: object
) -> None:
    _add_case(window, TargetKind.SPINE)
    window.case.undo_stack.undo()  # type: ignore[attr-defined]  # needle 2 goes
    c = planning.controller  # type: ignore[attr-defined]
    c.select_target("T1")
    panel = planning.coverage_panel  # type: ignore[attr-defined]
    panel.recompute()
    second = [s for s in panel.suggestions if s.kind == "second_trajectory"]
    assert second and "opposite pedicle" in second[0].text and "T1 needle 1" in second[0].text


def test_extraspinal_cement_protocol_has_no_spine_words(
    planning: object, window: object, qtbot: object
) -> None:
    """Outside the spine: no near-wall aliquot rule, counts in plain English, the borrowed vertebral
    fill default marked unverified in the fill box and the estimate."""
    from app.loading import wait_until

    _add_case(window, TargetKind.EXTRASPINAL)
    c = planning.controller  # type: ignore[attr-defined]
    c.select_target("T1")
    panel = planning.cement_panel  # type: ignore[attr-defined]
    panel.compute()
    assert wait_until(lambda: panel.analysis is not None or panel.estimate.text().startswith("Not"), 60000)
    assert panel.analysis is not None, panel.estimate.text()
    text = panel.protocol.text()
    assert text.startswith("Injection: 1 mL aliquots with a CT check after each; about ")
    for w in ("posterior wall", "foramen", "vertebra", "spinal", "canal"):
        assert w not in text.lower()
    n = panel.analysis.injection.ct_checks
    assert f"about {n} CT check{'' if n == 1 else 's'}." in text
    assert "borrowed" in panel.estimate.text() and "unverified" in panel.estimate.text()
    assert "unverified" in panel.fill.specialValueText() and panel.fill.value() == 0.0


def test_the_heat_warning_distance_is_the_operators_and_one_undo_step(
    planning: object, window: object, qtbot: object
) -> None:
    """The distance under which heat near the canal is warned was fixed at 5 mm in the window: it is a
    case setting shown in the Coverage dock (default 5 mm), editable and undoable. The zones reach
    y = +7 mm (centre y = -10, 34 mm long along y); a canal layer from y = +15 mm lies ~8 mm away."""
    from planning.model_base import DEFAULT_WARN_DISTANCE_MM

    _add_case(window, TargetKind.SPINE)
    vol = window.case.volume  # type: ignore[attr-defined]
    p = vol.index_to_lps_points(np.indices(vol.shape).reshape(3, -1).T.astype(float)).reshape(*vol.shape, 3)
    canal = (p[..., 1] >= 15.0) & (np.abs(p[..., 0]) <= 8.0) & (np.abs(p[..., 2]) <= 8.0)
    window.case.push(AddLayer(MaskLayer.new("T1 canal", LayerKind.CANAL, Mask.from_full(canal))))  # type: ignore[attr-defined]
    c = planning.controller  # type: ignore[attr-defined]
    c.select_target("T1")
    panel = planning.coverage_panel  # type: ignore[attr-defined]
    panel.recompute()
    assert panel.warn_distance.value() == DEFAULT_WARN_DISTANCE_MM == 5.0
    distance = panel.result.structures["canal"].distance_mm
    assert 5.0 < distance < 10.0, distance
    assert "thermal protection" not in panel.warnings.text() and panel.canal.styleSheet() == ""
    undo_before = window.case.undo_stack.index()  # type: ignore[attr-defined]
    panel.warn_distance.setValue(10.0)  # the operator wants warning within 1 cm
    panel.recompute()
    assert window.case.case.settings.heat_warn_distance_mm == 10.0  # type: ignore[attr-defined]
    assert "thermal protection" in panel.warnings.text() and panel.canal.styleSheet() != ""
    assert window.case.undo_stack.index() == undo_before + 1  # type: ignore[attr-defined]
    window.case.undo_stack.undo()  # type: ignore[attr-defined]
    panel.recompute()
    assert panel.warn_distance.value() == 5.0 and "thermal protection" not in panel.warnings.text()
    window.case.undo_stack.setClean()  # type: ignore[attr-defined]
