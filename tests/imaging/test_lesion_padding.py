"""Zero-filled voxels outside the scan (imaging.lesion_padding) and how lesion segmentation treats them.

A crop or a resampling beyond the scan fills with 0 HU, the value of water: without care the slab reads
as soft tissue, a lytic lesion grows into it and the smoothing darkens the bone beside it. Phantoms from
tests/phantoms/lesion.py with a slab zeroed across the grid; distances in mm.
"""

from __future__ import annotations

import numpy as np
import pytest

from imaging.lesion import segment_lesion
from imaging.lesion_errors import NoLesionAtSeedError
from imaging.lesion_padding import zero_filled
from imaging.volume import Volume
from tests.phantoms.lesion import PhantomLesion, dice, lesion_phantom

#: the LYTIC_SPHERE phantom's sphere: centre z 3 mm, radius 8 mm; the slab starts 3 mm above its centre
SLAB_FROM_Z_MM = 6.0


def _zeroed_above(volume: Volume, z_mm: float) -> tuple[Volume, np.ndarray]:
    """The volume with every voxel whose LPS z is at least ``z_mm`` set to exactly 0, and that mask."""
    idx = np.indices(volume.shape).reshape(3, -1).T
    z = volume.index_to_lps_points(idx)[:, 2].reshape(volume.shape)
    slab = z >= z_mm
    array = volume.array.copy()
    array[slab] = 0.0
    return Volume(array, volume.index_to_lps), slab


def test_slab_found_with_its_boundary_layer_and_nothing_else() -> None:
    rng = np.random.default_rng(1)
    # soft tissue at 0 HU with integer noise: about 2 % of the voxels are exactly 0, scattered
    hu = np.rint(rng.normal(0.0, 20.0, size=(30, 40, 40))).astype(np.float32)
    assert np.count_nonzero(hu == 0) > 500
    assert not zero_filled(hu).any()
    hu[20:] = 0.0
    got = zero_filled(hu)
    truth = np.zeros(hu.shape, dtype=bool)
    truth[20:] = True
    # the scattered zeros next to the slab (slice 19) join it only through the neighbour clause when
    # they touch it: at most those, never a voxel two slices away
    assert np.array_equal(got[20:], truth[20:])
    assert not got[:19].any()
    assert np.all(hu[19][got[19]] == 0.0)


def test_lytic_lesion_stops_at_the_zero_filled_slab() -> None:
    ph = lesion_phantom(PhantomLesion.LYTIC_SPHERE, seed=2)
    volume, slab = _zeroed_above(ph.volume, SLAB_FROM_Z_MM)
    lesion = segment_lesion(volume, ph.seed_lps)
    got = lesion.mask.to_full()
    assert not (got & slab).any()
    scanned_truth = ph.truth & ~slab
    assert dice(got, scanned_truth) >= 0.90
    assert lesion.volume_ml == pytest.approx(np.count_nonzero(scanned_truth) * 1e-3, rel=0.05)
    assert any("edge of the scan" in n for n in lesion.notes)
    # the slab is not tissue the lesion broke into
    assert not lesion.cortical_breach


def test_seed_in_the_zero_filled_slab_refused() -> None:
    ph = lesion_phantom(PhantomLesion.LYTIC_SPHERE, seed=2)
    volume, _ = _zeroed_above(ph.volume, SLAB_FROM_Z_MM)
    with pytest.raises(NoLesionAtSeedError, match="zero-filled"):
        segment_lesion(volume, (2.0, -1.5, 9.0))
