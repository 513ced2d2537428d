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
from imaging.vertebra_discs import PROFILE_STEP_MM, axial_profile, find_discs
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
#: chest T12's body click (session notes) and the click 3 mm behind it (one of the eight moves of
#: tests/benchmarks/endplate_click_spread.py); at the other six moves the body ends 0-1 mm from where it ends
#: at the body click (z -157 or -158, the 2 mm slices' quantum of a mask's end being half a slice each way)
T12_CLICK = (-10.0, 125.0, -140.0)
T12_BEHIND = (-10.0, 128.0, -140.0)
#: a body's end from two clicks in it may differ by one source slice (2 mm); a body run through the T12/L1
#: disc (3-4 mm there) into L1 ends at least a disc's height lower, below L1's end plate
ONE_SLICE_MM = 2.0


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


def _edge_profile(edge_mm: float) -> tuple[np.ndarray, np.ndarray]:
    """130 HU bone, a 300 HU end plate at -15 mm, an 80 HU disc below it to -20 mm, and the next body's end
    plate climbing from it ever more steeply (as the blurred plate's near side does) to 280 HU at -24.5 mm
    (chest T12 from 3 mm behind its body click: 81 HU at -20 mm, 271 HU at the scan's last level, -24.5 mm);
    the scan ends below ``edge_mm`` (NaN beyond)."""
    t = np.arange(-45.0, 45.0 + 1e-9, PROFILE_STEP_MM)
    p = np.full(t.shape, 130.0)
    p[np.abs(t + 15.0) <= 0.5] = 300.0
    p[(t >= -20.0) & (t < -16.0)] = 80.0
    rise = t < -20.0
    p[rise] = 80.0 + 200.0 * np.minimum((-20.0 - t[rise]) / 4.5, 1.0) ** 2
    p[t < edge_mm] = np.nan
    return t, p


def test_a_disc_whose_far_end_plate_the_scan_cuts_off_is_found_at_the_scans_edge() -> None:
    """The profile climbs out of the disc's dip to the scan's last level: that level is the far end plate's
    near side, a ridge at the edge (``scan_edge``); not at a level the profile runs on past."""
    t, p = _edge_profile(-24.5)
    last = int(np.flatnonzero(np.isfinite(p))[0])
    assert not any(d.centre_mm < -16.0 for d in find_discs(t, p))  # the premise: no disc below without it
    found = [d for d in find_discs(t, p, scan_edge=last) if d.centre_mm < -16.0]
    assert len(found) == 1
    assert -21.0 < found[0].centre_mm < -16.0
    assert found[0].lower_endplate_mm == float(t[last])
    # a scan edge one level into the disc's dip: no ridge there, no disc
    t, p = _edge_profile(-20.0)
    last = int(np.flatnonzero(np.isfinite(p))[0])
    assert not any(d.centre_mm < -16.0 for d in find_discs(t, p, scan_edge=last))


@pytest.mark.realdata
def test_t12_from_behind_its_body_click_ends_at_the_t12_l1_disc(chest_ct: Volume) -> None:
    """3 mm behind its body click T12's disc profile climbs from the T12/L1 disc to the scan's last level
    (L1's end plate cut off by the scan's bottom): the body ended at the scan's bottom (z -165 against -157,
    39.9 mL against 32.5) before the disc at the scan's edge was found."""
    ends = []
    for click in (T12_CLICK, T12_BEHIND):
        anatomy = find_vertebra(chest_ct, np.asarray(click))
        z = chest_ct.index_to_lps_points(anatomy.body.voxel_indices().astype(np.float64))[:, 2]
        assert not anatomy.body_cut_by_view, click
        ends.append(float(z.min()))
    assert abs(ends[1] - ends[0]) <= ONE_SLICE_MM, ends
