"""Coverage dock suggestions with two needles: measured against both needles' zones (what "Covered"
shows), each naming the needle it changes; applying one changes that needle and reaches the figure it
promised.

Phantom: conftest's marker volume (grid centred on the LPS origin) with an ellipsoidal lesion layer
(semi-axes 10 x 22 x 8 mm, the long one along the needles) and two parallel needles travelling
anteriorly (-y) 14 mm apart, custom zones 30 mm wide and 34 mm long covering the lesion's anterior part.
Positions LPS mm.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from imaging.mask import Mask
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

SPEC = AblationSpec(width_mm=30.0, length_mm=34.0, center_behind_tip_mm=10.0)
EXTENSION_MM = 15.0


@pytest.fixture
def planning(window: object, qtbot: object, no_dialogs: object) -> object:
    """The window with the planning tools on the marker phantom."""
    from app.planning_ui import install

    ui = getattr(window, "planning_ui", None) or install(window)  # type: ignore[arg-type]
    window.opener.show_volume(marker_volume(np.eye(3)))  # type: ignore[attr-defined]
    qtbot.wait(10)  # type: ignore[attr-defined]
    return ui


def _add_case(window: object, kind: TargetKind) -> None:
    vol = window.case.volume  # type: ignore[attr-defined]
    idx = np.stack(np.meshgrid(*[np.arange(n) for n in vol.shape], indexing="ij"), axis=-1).reshape(-1, 3)
    p = vol.index_to_lps_points(idx.astype(float))
    inside = (p[:, 0] / 10.0) ** 2 + (p[:, 1] / 22.0) ** 2 + (p[:, 2] / 8.0) ** 2 <= 1.0
    mask = Mask.from_full(inside.reshape(vol.shape))
    window.case.push(AddLayer(MaskLayer.new("T1 lesion", LayerKind.LESION, mask)))  # type: ignore[attr-defined]
    level = "L3" if kind == TargetKind.SPINE else ""
    target = Target("T1", kind=kind, level=level, lesion_seed_lps=(0.0, 0.0, 0.0), lesion_layer="T1 lesion")
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
