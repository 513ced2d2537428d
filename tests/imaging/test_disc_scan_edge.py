"""The disc profile ends where the scan ends: no level reads the padding beyond it (session 18, task I).

:func:`imaging.vertebra_discs.axial_profile` averages the HU over cross-sections along the spine, with
trilinear interpolation on the resampled ROI, whose voxels outside the scan read air. Its in-scan flag was
sampled nearest-neighbour, so a level half a ROI voxel past the last in-scan voxel counted as in the scan
while its HU was half padding: on the chest CT (last slice z -164.5) the level at z -166 read -438 HU, a
fake end plate ridge at the scan's edge with no bone measured beyond it. From the middle of the body at
y 118 the T12/L1 disc was then not found: (-6, 118, -157.5) found a 19 mL "body" from z -164.5 to -148.5
across the disc, cut by the scan's bottom, and (-5.8, 118, -154.5) lay on no disc.
"""

from __future__ import annotations

import numpy as np
import pytest

from imaging.disc_click import disc_at_point
from imaging.vertebra import VertebraNotFoundError, find_vertebra
from imaging.vertebra_discs import axial_profile
from imaging.vertebra_roi import OUTSIDE_HU, LpsRoi
from imaging.volume import Volume
from planning.proposals import mask_at_points

DISC_WORDS = "the point is on the disc between two vertebrae"
#: the synthetic scan's uniform tissue (HU): any padding mixed in reads far below it
TISSUE_HU = 100.0
#: a mean read off by more than this (HU) holds padding: 1e-6 of a voxel's weight on OUTSIDE_HU gives
#: 1e-3 HU, float32 rounding of 100 HU about 1e-5
PADDING_HU = 0.01
#: the QA's clicks on the T12/L1 disc from the middle of the body (LPS mm): the disc's end plates about
#: z -162/-154 there, the scan's last slice z -164.5
MIDDLE_CLICKS = ((-6.0, 118.0, -157.5), (-5.8, 118.0, -154.5))


def _cut_roi(last_inside_k: int) -> LpsRoi:
    """A 1 mm ROI of uniform tissue whose scan ends after slice ``last_inside_k``; padding beyond."""
    shape = (60, 24, 24)
    inside = np.zeros(shape, dtype=bool)
    inside[: last_inside_k + 1] = True
    array = np.where(inside, np.float32(TISSUE_HU), np.float32(OUTSIDE_HU)).astype(np.float32)
    return LpsRoi(array, np.zeros(3), 1.0, inside)


@pytest.mark.parametrize("tilt_deg", [0.0, 20.0])
def test_profile_levels_past_the_scans_edge_read_no_padding(tilt_deg: float) -> None:
    last_k = 40
    roi = _cut_roi(last_k)
    # levels a quarter voxel off the grid: nearest-neighbour takes the one a quarter past the last slice
    # for in the scan (three quarters tissue, a quarter padding)
    origin = np.array([11.5, 11.5, 30.25])
    tilt = np.radians(tilt_deg)
    axis = np.array([np.sin(tilt), 0.0, np.cos(tilt)])
    t_mm, mean_hu = axial_profile(roi, roi.array, origin, axis)
    finite = np.isfinite(mean_hu)
    assert finite.any()
    off = np.abs(mean_hu[finite] - TISSUE_HU)
    assert off.max() <= PADDING_HU, f"levels at t {t_mm[finite][off > PADDING_HU]} mm read padding"
    # no level in the scan is lost: the last one reaches to within a step plus the cross-section's
    # reach along z of the last slice (its radius times the tilt's sine, plus a voxel for interpolation)
    reach_mm = 6.0 * np.sin(tilt) + 1.0 + 0.5
    top_z = origin[2] + float(t_mm[finite].max()) * axis[2]
    assert top_z >= last_k - reach_mm, top_z


@pytest.mark.realdata
def test_the_t12_l1_disc_is_seen_from_the_middle_of_the_body(chest_ct: Volume) -> None:
    half_slice_mm = 0.5 * float(max(chest_ct.spacing_mm))
    found = []
    for click in MIDDLE_CLICKS:
        disc = disc_at_point(chest_ct, click)
        assert disc is not None, f"{click}: no disc"
        low, up = disc.lower_endplate_lps[2], disc.upper_endplate_lps[2]
        assert low - half_slice_mm <= click[2] <= up + half_slice_mm, (click, low, up)
        found.append((low, up))
    # one disc from both clicks, to within a slice
    (low_a, up_a), (low_b, up_b) = found
    assert abs(low_a - low_b) <= 2.0 * half_slice_mm and abs(up_a - up_b) <= 2.0 * half_slice_mm, found


@pytest.mark.realdata
def test_the_vertebra_search_from_the_middle_of_the_disc_says_disc(chest_ct: Volume) -> None:
    with pytest.raises(VertebraNotFoundError, match=DISC_WORDS):
        find_vertebra(chest_ct, np.array(MIDDLE_CLICKS[0]))


@pytest.mark.realdata
def test_a_click_on_t12s_inferior_end_plate_stays_out_of_l1(chest_ct: Volume) -> None:
    """The second click lies on the disc's upper end plate ridge, T12's inferior end plate: the search
    finds T12 there (its body holds the click, not cut by the scan's bottom) or refuses it as on the
    disc; a body found reaches no lower than the disc's lower end plate (L1's superior one)."""
    click = np.array(MIDDLE_CLICKS[1])
    disc = disc_at_point(chest_ct, click)
    assert disc is not None
    try:
        anatomy = find_vertebra(chest_ct, click)
    except VertebraNotFoundError as exc:
        assert DISC_WORDS in str(exc)
        return
    assert not anatomy.body_cut_by_view
    assert mask_at_points(anatomy.body, chest_ct, click)[0]
    z = chest_ct.index_to_lps_points(anatomy.body.voxel_indices().astype(np.float64))[:, 2]
    assert float(z.min()) > disc.lower_endplate_lps[2], (float(z.min()), disc.lower_endplate_lps[2])
