"""A vertebral body cut by the field of view (the edge of the scan is not air, and not the body's edge).

Synthetic volumes with known answers: a uniform block (the ROI and its smoothing at the view's edge),
and the vertebra phantom (tests/phantoms/vertebra) cropped so that only the lowest 10-14 mm of its
body lie in the volume, as lumbar-ct-labels' L2 is.
"""

from __future__ import annotations

import numpy as np
import pytest

from imaging.vertebra import find_vertebra
from imaging.vertebra_body import bony_solid
from imaging.vertebra_roi import OUTSIDE_HU, resample_roi
from imaging.volume import Volume, affine_from_geometry
from tests.phantoms.vertebra import make_vertebra_phantom

#: a uniform block's HU (any soft-tissue value)
BLOCK_HU = 100.0


def _block(slice_mm: float) -> Volume:
    """A 5 x 40 x 40 block of ``BLOCK_HU`` with 1 mm pixels and ``slice_mm`` slices, axial, origin 0."""
    array = np.full((5, 40, 40), BLOCK_HU, dtype=np.float32)
    return Volume(array, affine_from_geometry((0.0, 0.0, 0.0), (slice_mm, 1.0, 1.0), np.eye(3)))


def test_roi_reads_the_edge_slice_up_to_half_a_voxel_beyond_its_centre() -> None:
    """A source voxel covers half a voxel beyond its centre: ROI points there are in view and read it."""
    volume = _block(2.0)  # slice centres at z 0, 2, .., 8: the view spans z -1 .. 9
    roi = resample_roi(volume, (20.0, 20.0, 4.0), (5.0, 5.0, 8.0), 0.5)
    z = roi.origin_lps[2] + roi.spacing_mm * np.arange(roi.shape[0])
    in_view = (z >= -1.0) & (z <= 9.0)
    assert np.array_equal(roi.inside.all(axis=(1, 2)), in_view)
    # in view, beyond the last slice centre included (z 8.5, 9.0): the block's value
    assert np.all(roi.array[roi.inside] == BLOCK_HU)
    assert np.all(roi.array[~roi.inside] == OUTSIDE_HU)
    assert ((z > 8.0) & in_view).sum() >= 2


def test_smoothing_does_not_darken_the_field_of_views_edge() -> None:
    """The HU smoothed for the body search averages only voxels in view: a uniform block stays uniform."""
    volume = _block(1.0)
    roi = resample_roi(volume, (20.0, 20.0, 2.0), (8.0, 8.0, 8.0), 1.0)
    assert not roi.inside.all()
    masks = bony_solid(roi)
    for hu in (masks.smoothed, masks.sharp):
        assert np.abs(hu[roi.inside] - BLOCK_HU).max() <= 0.5
        assert np.all(hu[~roi.inside] == OUTSIDE_HU)


#: the body cut by the view: its visible part found with Dice >= 0.95 (0.978-0.983 measured; 0.940-0.981
#: before the view's edge stopped reading as air) and its cross-section on the last slice in view at
#: least 85 % of the truth's (a 1 mm rim of the 22 x 16 mm ellipse is about 15 % of it; 0.91-0.93
#: measured, 0.16-0.89 before)
MIN_CUT_DICE = 0.95
MIN_EDGE_AREA_FRACTION = 0.85


@pytest.mark.parametrize(
    ("keep_mm", "trabecular_hu"),
    [(10.0, 200.0), (14.0, 200.0), (10.0, 80.0)],
    ids=["10mm-dense", "14mm-dense", "10mm-osteoporotic"],
)
def test_body_cut_by_the_field_of_view_reaches_the_views_edge(keep_mm: float, trabecular_hu: float) -> None:
    """Only the lowest ``keep_mm`` of the body in view: the body runs up to the view's edge.

    Dense trabecular bone (200 HU) ends where fat or air follows soft tissue; the view's edge must
    not read as air there (before: 16 % and 36 % of the edge slice's cross-section found).
    """
    ph = make_vertebra_phantom(adjacent=True, trabecular_hu=trabecular_hu, seed=5)
    vol = ph.volume  # axial, head first: array axis 0 runs to +z
    z = vol.index_to_lps_points(np.stack([np.arange(vol.shape[0]), *np.zeros((2, vol.shape[0]))], axis=1))
    bottom = ph.center_lps[2] - 0.5 * ph.body_height_mm
    stop = int(np.flatnonzero(z[:, 2] <= bottom + keep_mm).max()) + 1
    cut = vol.crop((0, 0, 0), (stop, vol.shape[1], vol.shape[2]))
    truth = ph.body_mask[:stop]
    click = cut.index_to_lps_points(np.argwhere(truth).mean(axis=0))
    found = find_vertebra(cut, click).body.to_full()
    dice = 2.0 * (found & truth).sum() / (found.sum() + truth.sum())
    assert dice >= MIN_CUT_DICE, f"Dice {dice:.3f}"
    edge = found[stop - 1].sum() / truth[stop - 1].sum()
    assert edge >= MIN_EDGE_AREA_FRACTION, f"last slice in view: {edge:.0%} of the truth's cross-section"
