"""What the Lesions dock tells about a clicked lesion's reference and type, and a click in soft tissue.

QA s22 D: nothing said where the reference bone HU was measured (D4); the Type cell's tooltip said only
"measured: lytic", the shares of voxels behind it were not kept with the lesion (D5); a click in muscle
was told to give a reference bone HU (D7). The lytic sphere phantom of tests/phantoms/lesion.py (radius
8 mm, bone radius 16 mm, soft tissue beyond 24 mm from the axis), through the real window: a click with
the Lesion tool, the Lesions dock, save and reopen of the case file. Run under Xvfb.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from app.display_geometry import ViewAxis
from imaging.image_files import write_image
from planning.commands import UpdateTarget
from planning.lesion_extra import BASIS_KEYS
from tests.app.test_segmentation_tools import click, click_lesion, lytic, pytestmark, wait_job

__all__ = ["lytic", "pytestmark"]  # a fixture used here by name, and the GUI marks

TYPE_COLUMN = 2


def _open(window: Any, qtbot: Any, path: Path) -> None:
    window.case.undo_stack.setClean()
    window.open_path(path)
    qtbot.waitUntil(lambda: window.state.display is not None and not window.opener.is_busy(), timeout=30000)
    qtbot.wait(20)


def _dock_texts(panel: Any, qtbot: Any) -> tuple[str, str, str]:
    """The details line, its tooltip, and the Type cell's tooltip, once the figures are measured."""
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1)
    assert panel.wait_measured(30000)
    qtbot.wait(20)
    panel.select("Lesion 1")
    return panel.details.text(), panel.details.toolTip(), panel.table.cellWidget(0, TYPE_COLUMN).toolTip()


def test_the_reference_site_and_the_type_basis_are_shown_kept_and_reopened(
    window: Any, qtbot: Any, tmp_path: Path, no_dialogs: Any, lytic: Any
) -> None:
    write_image(lytic.volume, tmp_path / "lytic.nii.gz")
    _open(window, qtbot, tmp_path / "lytic.nii.gz")
    panel = click_lesion(window, qtbot, lytic.seed_lps)
    try:
        _check_kept_and_reopened(window, qtbot, tmp_path, panel)
    finally:
        window.case.undo_stack.setClean()  # closing must not ask about saving, even after a failed check


def _check_kept_and_reopened(window: Any, qtbot: Any, tmp_path: Path, panel: Any) -> None:
    target = window.case.case.targets["Lesion 1"]
    assert all(k in target.extra for k in BASIS_KEYS)
    details, details_tip, type_tip = _dock_texts(panel, qtbot)
    reference = target.measures["reference_bone_hu"]
    # "reference bone 200 HU in 6,123 voxels 11.3-20.4 mm from the seed"
    assert f"reference bone {reference:.0f} HU in " in details and "mm from the seed" in details, details
    assert "Reference bone of Lesion 1: measured in" in details_tip and "around the lesion" in details_tip
    assert "HU quartiles" in details_tip
    # "measured: lytic" and why: the lytic share against the reference minus the delta
    lo = reference - float(target.extra["abnormal_delta_hu"])
    assert type_tip.startswith("measured: lytic"), type_tip
    assert f"% of its voxels below {lo:.0f} HU (lytic)" in type_tip, type_tip
    assert float(target.extra["lytic_fraction"]) > 0.9

    # saved with the case and shown again on reopen
    path = tmp_path / "lytic.osteoplan"
    assert window.case.save_to(path)
    _open(window, qtbot, path)
    assert _dock_texts(panel, qtbot) == (details, details_tip, type_tip)

    # a case saved before them (no such keys) still opens, and shows neither
    old = window.case.case.targets["Lesion 1"]
    extra = {k: v for k, v in old.extra.items() if k not in BASIS_KEYS}
    window.case.push(UpdateTarget("Lesion 1", dataclasses.replace(old, extra=extra)))
    old_path = tmp_path / "before.osteoplan"
    assert window.case.save_to(old_path)
    _open(window, qtbot, old_path)
    details, details_tip, type_tip = _dock_texts(panel, qtbot)
    assert f"reference bone {reference:.0f} HU" in details and "from the seed" not in details
    assert "Reference bone of" not in details_tip
    assert type_tip.startswith("measured: lytic") and "Why" not in type_tip


def test_a_click_in_soft_tissue_says_so_and_offers_no_reference(
    window: Any, qtbot: Any, no_dialogs: Any, lytic: Any
) -> None:
    window.opener.show_volume(lytic.volume)
    seg = window.segmentation
    seg.activate(seg.lesion_tool)
    muscle = (30.0, 0.0, 3.0)  # 14 mm out from the bone's surface (radius 16 mm), beyond the fat sleeve
    window.state.set_crosshair(muscle)
    click(window.views[ViewAxis.AXIAL], muscle)
    wait_job(window, qtbot)
    message = seg.jobs.last_message
    assert not window.case.case.targets
    assert "soft tissue" in message and "the nearest bone 1" in message, message
    assert "Lesion settings" not in message and "reference" not in message.lower().split("no normal")[0]


def test_a_plans_case_shows_where_its_reference_was_measured_and_why_its_type(
    window: Any, qtbot: Any, tmp_path: Path, no_dialogs: Any, lytic: Any
) -> None:
    """A case written by ``osteoplan plan`` (planning.plan_case) opened in the window: until session 24 its
    target kept neither the reference's site nor the type's shares, and the dock showed neither."""
    from planning.plan_runner import run_plan, save_plan_case

    image = tmp_path / "lytic.nii.gz"
    write_image(lytic.volume, image)
    seed = [float(v) for v in lytic.seed_lps]
    spec = {
        "targets": [{"name": "Lesion 1", "lesion_seed_lps": seed}],
        "ablation": {"profile": "Emprint 75 W 5 min"},
    }
    result = run_plan(lytic.volume, spec)
    path = tmp_path / "plan.osteoplan"
    save_plan_case(result, str(path), source_path=str(image))
    _open(window, qtbot, path)
    try:
        panel = window.segmentation.lesion_panel
        details, details_tip, type_tip = _dock_texts(panel, qtbot)
        reference = result.targets[0].lesion.reference_bone_hu
        assert f"reference bone {reference:.0f} HU in " in details and "mm from the seed" in details, details
        assert "Reference bone of Lesion 1: measured in" in details_tip and "around the lesion" in details_tip
        assert type_tip.startswith("measured: lytic") and "% of its voxels below" in type_tip, type_tip
    finally:
        window.case.undo_stack.setClean()
