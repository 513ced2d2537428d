"""The spinal canal search (imaging.vertebra_canal) on a level whose posterior wall does not show.

tests/phantoms/faint_wall: 3 mm slices, trabecular bone at 110 HU (below the bone threshold) and no
cortex on the posterior wall, so the hole the bony ring encloses runs into the body (as at L1 of
abdomen-pelvis-ct). Tolerances in mm: canal centroid within 1 mm (a voxel), area within 10 %, at
most 5 % of the canal's voxels inside the body (the canal's rim is given back up to 2 mm where the
ring's cortex blurs into it, which reaches the body's posterolateral corners; the search that
ignores the faint wall puts half the canal in the body), body Dice >= 0.88 (3 mm slices put the
end plates within half a slice).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from imaging.vertebra import ROI_HIGH_MM, ROI_LOW_MM, find_vertebra
from imaging.vertebra_body import bony_solid
from imaging.vertebra_canal import CanalResult, find_canal
from imaging.vertebra_roi import resample_roi, roi_mask_to_source
from tests.phantoms.faint_wall import FaintWallPhantom, make_faint_wall_phantom

CLICK_LPS = np.zeros(3)  # the phantom's body centre
UP = np.array([0.0, 0.0, 1.0])


@cache
def _canal(slice_mm: float) -> tuple[FaintWallPhantom, CanalResult | None, np.ndarray]:
    phantom = make_faint_wall_phantom(slice_mm=slice_mm)
    roi = resample_roi(phantom.volume, CLICK_LPS, np.array([ROI_LOW_MM, ROI_HIGH_MM]), 1.0)
    masks = bony_solid(roi)
    canal = find_canal(roi, masks.arch_solid, masks.smoothed, CLICK_LPS)
    full = roi_mask_to_source(roi, canal.mask, phantom.volume).to_full() if canal is not None else None
    return phantom, canal, np.zeros(0, dtype=bool) if full is None else full


@pytest.mark.parametrize("slice_mm", [3.0, 1.0])
def test_canal_behind_a_faint_wall_stays_out_of_the_body(slice_mm: float) -> None:
    phantom, canal, mask = _canal(slice_mm)
    assert canal is not None, "no canal found"
    centre = canal.centroid_at(CLICK_LPS, UP)
    err_mm = float(np.hypot(*(centre - phantom.canal_centre_lps)[:2]))
    assert err_mm <= 1.0, f"canal centroid {err_mm:.2f} mm from the constructed one"
    area = canal.area_near(0.0)
    assert abs(area - phantom.canal_area_mm2) <= 0.10 * phantom.canal_area_mm2, (
        f"canal area {area:.0f} mm^2, constructed {phantom.canal_area_mm2:.0f}"
    )
    in_body = int((mask & phantom.body_mask).sum())
    assert in_body <= 0.05 * mask.sum(), f"{in_body} of {mask.sum()} canal voxels inside the body"
    # found where the ring encloses it (the pedicles' level), not beyond it
    z = canal.slice_centroids_lps[:, 2]
    assert np.all(np.abs(z) <= phantom.ring_half_height_mm + slice_mm)
    assert np.ptp(z) >= phantom.ring_half_height_mm


def test_body_behind_a_faint_wall_is_limited_by_the_canal() -> None:
    phantom = make_faint_wall_phantom()
    anatomy = find_vertebra(phantom.volume, CLICK_LPS)
    body = anatomy.body.to_full()
    dice = float(2.0 * (body & phantom.body_mask).sum() / (body.sum() + phantom.body_mask.sum()))
    assert dice >= 0.88, f"body Dice {dice:.3f}"
    canal_c = np.array(anatomy.canal_centroid_lps)
    assert float(np.hypot(*(canal_c - phantom.canal_centre_lps)[:2])) <= 1.5
    assert abs(anatomy.canal_area_mm2 - phantom.canal_area_mm2) <= 0.15 * phantom.canal_area_mm2
