"""Discs around a vertebral body (imaging.vertebra_discs) and thoracic bodies with thin discs.

Thoracic discs are 3-6 mm tall; on 2 mm slices the rays of imaging.vertebra_star run through them
into the next vertebra. The body is then bounded by the nearest endplate pairs found on a profile
along the spine. Checked on a synthetic profile, on thoracic-like phantoms (thin discs, trabecular
bone within 30 HU of the disc, 2-3 mm slices) and on the real chest CT, against disc levels read by
eye on its midline sagittal slice.
"""

from __future__ import annotations

import numpy as np
import pytest

from imaging.vertebra import VertebraNotFoundError, find_vertebra
from imaging.vertebra_discs import PROFILE_STEP_MM, find_discs
from imaging.volume import Volume
from tests.phantoms.vertebra import make_vertebra_phantom


def _profile(disc_centres_mm: list[float], disc_mm: float, rng: np.random.Generator) -> tuple:
    """A synthetic axial profile: 130 HU bone with humps, 1 mm endplates at 300 HU, 100 HU discs."""
    t = np.arange(-45.0, 45.0 + 1e-9, PROFILE_STEP_MM)
    p = 130.0 + 30.0 * np.sin(2 * np.pi * t / 11.0)  # trabecular humps, 11 mm apart
    for c in disc_centres_mm:
        p[np.abs(t - c) <= 0.5 * disc_mm] = 100.0
        for side in (-1.0, 1.0):
            edge = c + side * (0.5 * disc_mm + 0.5)
            p[np.abs(t - edge) <= 0.5] = 300.0
    p += rng.normal(0.0, 5.0, p.shape)
    return t, p


@pytest.mark.parametrize("disc_mm", [3.0, 5.0, 10.0])
def test_discs_found_on_a_profile_and_humps_ignored(disc_mm: float) -> None:
    rng = np.random.default_rng(1)
    centres = [-33.0, -10.0, 13.0, 36.0]
    t, p = _profile(centres, disc_mm, rng)
    discs = find_discs(t, p)
    strongest = sorted(d.centre_mm for d in discs[: len(centres)])
    assert np.allclose(strongest, centres, atol=0.5 * disc_mm + 0.5)
    # every other dip (between trabecular humps) scores below 60 % of the weakest disc
    weakest = min(d.score_hu for d in discs[: len(centres)])
    assert all(d.score_hu < 0.6 * weakest for d in discs[len(centres) :])


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    return float(2.0 * (a & b).sum() / (a.sum() + b.sum()))


@pytest.mark.parametrize(
    ("spacing_mm", "disc_mm"),
    [((2.0, 0.98, 0.98), 4.0), ((2.0, 0.98, 0.98), 6.0), ((3.0, 0.8, 0.8), 4.0), ((1.0, 1.0, 1.0), 4.0)],
)
def test_thoracic_phantom_body_with_thin_discs(
    spacing_mm: tuple[float, float, float], disc_mm: float
) -> None:
    """Three stacked 20 mm bodies with thin discs and weak contrast: one body, Dice >= 0.90.

    The cortex is at least one slice thick: on a 2-3 mm grid a 1.5 mm cortex would vanish from the
    endplates altogether (the phantom has no partial volume), which no scanner does.
    """
    ph = make_vertebra_phantom(
        spacing_mm=spacing_mm,
        adjacent=True,
        body_height_mm=20.0,
        body_semi_axes_mm=(16.0, 13.0),
        disc_height_mm=disc_mm,
        trabecular_hu=130.0,
        cortex_hu=400.0,
        disc_hu=100.0,
        noise_hu=40.0,
        blur_mm=0.8,
        cortex_mm=max(1.5, spacing_mm[0]),
        pedicle_min_width_mm=6.0,
        pedicle_height_mm=10.0,
    )
    anatomy = find_vertebra(ph.volume, ph.center_lps)
    found = anatomy.body.to_full()
    assert _dice(found, ph.body_mask) >= 0.90
    z = ph.volume.index_to_lps_points(np.argwhere(found))[:, 2]
    # one body: nothing beyond the discs (20 mm body + one slice of blur each side)
    assert np.ptp(z) <= 20.0 + 2.0 * spacing_mm[0] + 1e-6


# Disc levels of chest-ct-dicom (z, LPS mm) read by eye on the midline sagittal slice (x = -10 mm):
# the dark gap between two bright endplate lines. Bodies at x = -10, y = 125 between them.
CHEST_DISCS_Z = (12.0, -10.0, -33.0, -57.0, -80.0, -104.0, -128.0)


@pytest.mark.realdata
@pytest.mark.parametrize("k", range(len(CHEST_DISCS_Z) - 1))
def test_chest_thoracic_body_lies_between_its_discs(chest_ct: Volume, k: int) -> None:
    volume = chest_ct
    top, bottom = CHEST_DISCS_Z[k], CHEST_DISCS_Z[k + 1]
    click = (-10.0, 125.0, 0.5 * (top + bottom))
    try:
        anatomy = find_vertebra(volume, click)
    except VertebraNotFoundError as exc:
        pytest.fail(f"body between discs at z {top} and {bottom} refused: {exc}")
    pts = volume.index_to_lps_points(anatomy.body.voxel_indices())
    centre = pts.mean(axis=0)
    core = pts[np.linalg.norm(pts[:, :2] - centre[:2], axis=1) <= 8.0]
    # within one 2 mm slice plus 1 mm of the disc levels read by eye
    assert core[:, 2].max() <= top + 3.0
    assert core[:, 2].min() >= bottom - 3.0
    assert 14.0 <= anatomy.body_height_mm <= 30.0


# Upper thoracic bodies of chest-ct-dicom (kyphosis: the bodies lie anterior to the lower ones), read
# by eye on the axial and sagittal slices: click at the body's centre, the discs above and below (z),
# and the body's widest left-right extent at mid-height (mm).
UPPER_THORACIC = {
    "z 23.5": ((-7.0, 121.0, 23.5), (35.0, 12.0), 29.0),
    "z 46": ((-7.0, 109.0, 46.0), (57.0, 35.0), 29.0),
}
UPPER_KNOWN_SHORT = {
    "z 23.5": (
        "found between its discs (19.4 mm tall), but 33.2 mm wide at mid-height (29 by eye + 3 asked): rays "
        "at its posterolateral corners run on past soft tissue with no cortex before it (the rule that keeps "
        "a lytic lesion inside the body) into the costal facets"
    ),
    "z 46": (
        "the disc profile finds dips inside the body (4.5 mm above its centre) and misses the thin, "
        "obliquely cut disc at z 35: refused as 52 mm tall (a click 9 mm more posterior, at y 118, finds "
        "it 18.7 mm tall between the discs)"
    ),
}


@pytest.mark.realdata
@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(reason=UPPER_KNOWN_SHORT[n], strict=True))
        if n in UPPER_KNOWN_SHORT
        else n
        for n in UPPER_THORACIC
    ],
)
def test_chest_upper_thoracic_body_between_its_discs(chest_ct: Volume, name: str) -> None:
    click, (top, bottom), width_by_eye_mm = UPPER_THORACIC[name]
    volume = chest_ct
    anatomy = find_vertebra(volume, click)
    pts = volume.index_to_lps_points(anatomy.body.voxel_indices())
    centre = pts.mean(axis=0)
    core = pts[np.linalg.norm(pts[:, :2] - centre[:2], axis=1) <= 8.0]
    # within one 2 mm slice plus 1 mm of the disc levels read by eye
    assert core[:, 2].max() <= top + 3.0
    assert core[:, 2].min() >= bottom - 3.0
    # the height between the end plates: the disc spacing less a thin disc (3-6 mm), within 3 mm
    assert (top - bottom) - 6.0 - 3.0 <= anatomy.body_height_mm <= (top - bottom) - 3.0 + 3.0
    # not wider than the body (2nd-98th percentile left-right at mid-height), within 3 mm
    mid = pts[np.abs(pts[:, 2] - centre[2]) <= 3.0]
    lo, hi = np.percentile(mid[:, 0], [2.0, 98.0])
    assert hi - lo <= width_by_eye_mm + 3.0
