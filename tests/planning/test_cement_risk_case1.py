"""bone-lesions case1 planned as QA planned it (session 15, items 6-8): a 0.3 mL sclerotic lesion in a
lumbar body (about 36 mL) with a 35 x 37 mm ablation zone on each of two needles, the vertebra found
from the lesion seed. The cement estimate lies in the published range of its series although the zones
hold far more bone than that range; cortical disruption is the lesion's own cortical breach; the
posterior-quarter depth is the body's depth in the middle, checked against the front-to-back lengths of
the body mask on lines through its middle (within 4 mm of its centroid; a voxel's slack) and against the
whole mask's extent, which it must not be."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from planning.cement import PUBLISHED_VOLUMES, CementSite

SEED_LPS = [24.45474, 169.87754, -547.53988]  # the lesion seed of QA's spec (lesion-boxes.csv, case1)
SPEC = {
    "targets": [{"name": "L1", "lesion_seed_lps": SEED_LPS, "vertebra_lps": SEED_LPS}],
    "trajectories": [
        {"target": "L1", "approach": "transpedicular-left"},
        {"target": "L1", "entry_lps": [24.45, 250.0, -547.5], "target_lps": [24.45, 175.0, -547.5]},
    ],
    "needle": {"gauge": 13, "antenna_extension_mm": 15},
    "ablation": {"width_mm": 35, "length_mm": 37, "center_behind_tip_mm": 11.5},
    "positions_per_trajectory": 1,
    "margin_mm": 2,
}


@pytest.mark.realdata
def test_case1_cement_risk_and_quarter(shared_data: Path) -> None:
    import SimpleITK as sitk

    from imaging.volume import Volume, affine_from_geometry
    from planning.plan_runner import run_plan

    image = sitk.ReadImage(str(shared_data / "bone-lesions" / "case1.nii.gz"))
    matrix = affine_from_geometry(
        image.GetOrigin(), image.GetSpacing()[::-1], np.array(image.GetDirection()).reshape(3, 3)
    )
    volume = Volume(sitk.GetArrayFromImage(image), matrix)
    result = run_plan(volume, SPEC)
    (target,) = result.targets
    out = target.to_json()
    cement, risk, inj = out["cement"], out["leakage_risk"], out["injection"]

    # item 6: the zones' bone is far beyond any published volume, the estimate is not
    pub = PUBLISHED_VOLUMES[CementSite(cement["site"])]
    assert cement["ablation_in_bone_ml"] > pub.max_ml
    assert pub.min_ml <= cement["estimate_ml"] <= pub.max_ml
    assert inj["planned_volume_ml"] == pytest.approx(cement["estimate_ml"], abs=0.01)
    assert sum(s["volume_ml"] for s in inj["steps"]) == pytest.approx(cement["estimate_ml"], abs=0.01)
    assert inj["expected_ct_checks"] == len(inj["steps"])

    # item 7: one definition of a cortical disruption, the lesion's breach figure
    (cortical,) = (f for f in risk["factors"] if f["factor"] == "cortical disruption")
    assert cortical["present"] is target.lesion.cortical_breach
    endplate_zones = [z for z in risk["zones"] if z["kind"] == "endplate defect"]
    assert bool(endplate_zones) <= target.lesion.cortical_breach

    # item 8: the quarter's depth against the body's front-to-back lengths through its middle
    anatomy = target.anatomy
    assert anatomy is not None
    body_lps = volume.index_to_lps_points(anatomy.body.voxel_indices())
    centre = np.asarray(anatomy.body_centroid_lps)
    # the front-to-back lengths of the body along lines through its middle (every 2 mm within 4 mm of
    # the centroid, left-right and up-down): the depth the needle works in lies among them, within a
    # voxel; the whole mask's extent (the old depth: 46.6 mm from QA's click) does not
    step_mm = float(volume.spacing_mm[1])
    lines_mm = []
    for dx in (-4.0, -2.0, 0.0, 2.0, 4.0):
        for dz in (-4.0, -2.0, 0.0, 2.0, 4.0):
            on = (np.abs(body_lps[:, 0] - centre[0] - dx) <= 0.5) & (
                np.abs(body_lps[:, 2] - centre[2] - dz) <= 0.5
            )
            if on.any():
                lines_mm.append(float(np.ptp(body_lps[on, 1])) + step_mm)
    depth_mm = 4.0 * inj["posterior_quarter_depth_mm"]
    assert min(lines_mm) - step_mm <= depth_mm <= max(lines_mm) + step_mm, (depth_mm, lines_mm)
    assert depth_mm < float(np.ptp(body_lps[:, 1])) - 2.0 * step_mm
