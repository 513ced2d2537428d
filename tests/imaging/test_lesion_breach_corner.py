"""A lesion that opens the body's cortex into the canal's corner at the pedicle's root breaches there.

Truth by construction: the vertebra phantom (tests/phantoms/vertebra.py, 1 mm grid) with a lytic sphere
r 6 mm at local (10, 9, 0) mm (x left, y back), masked to the body, so it replaces the body's cortex where
it reaches the body's surface. Behind that surface lie the left pedicle's root (bone: 58 of the lesion's
face-neighbours are its trabecular bone) and, medial to it, the canal: the lesion opens into the canal
through a slit 1 voxel wide (local x 8-9 mm) and 7 voxels tall (z -3..3 mm) at y 14-15 mm, in the corner
where the canal meets the pedicle's root. The bone's outline (imaging.bone_outline.bone_outline: bone
grown 3 mm, filled, shrunk back) rounds that corner: 123 canal voxels lie inside it, 1.0-1.4 mm deep, and
the segmented lesion lies 2.2 mm or more inside it. So from session 28's df1ede2 the lesion read "no
breach" (this test fails on main 4c39ca6). Tissue reached from outside the outline within the cortex's
thickness (2 mm) along the tissue counts as outside again (imaging.lesion_measure.outside_tissue): the
lesion touches such tissue (1.4 mm deep) with 2 voxels at the slit. Breach yes, at (20.1, -4.8, 40.8) LPS,
local (8.1, 13.2, 0.8) mm (7d87a37: local (8.1, 12.6, 0.3)): at the slit's x and height, behind the body's
centre, 1.7 mm in front of the body's surface there (the hole's rim, inside the 1.5 mm cortex and the
0.4 mm blur).
"""

from __future__ import annotations

import numpy as np

from imaging.lesion import segment_lesion
from imaging.lesion_model import LesionType
from imaging.lesion_remeasure import measure_lesion_mask
from tests.phantoms.vertebra import make_vertebra_phantom

LESION = (10.0, 9.0, 0.0, 6.0)


def test_lesion_opening_into_the_canal_corner_breaches_there() -> None:
    ph = make_vertebra_phantom(lesion=LESION)
    assert ph.lesion_center_lps is not None and ph.lesion_mask is not None
    # the opening by construction: the lesion's face-neighbours in the canal, a slit at the pedicle's root
    near = np.zeros_like(ph.lesion_mask)
    idx = np.argwhere(ph.lesion_mask)
    for axis in range(3):
        for d in (-1, 1):
            moved = idx.copy()
            moved[:, axis] += d
            near[tuple(moved.T)] = True
    slit = near & ph.canal_mask
    slit_local = (ph.volume.index_to_lps_points(np.argwhere(slit).astype(float)) - ph.center_lps) @ (
        ph.local_to_lps_rotation
    )
    assert len(slit_local) == 7 and np.ptp(slit_local[:, 0]) <= 1.0  # 1 voxel wide, 7 tall

    lesion = segment_lesion(ph.volume, ph.lesion_center_lps)
    assert lesion.type is LesionType.LYTIC
    assert lesion.cortical_breach
    assert len(lesion.cortical_breach_lps) == 1
    point = np.asarray(lesion.cortical_breach_lps[0])
    local = (point - ph.center_lps) @ ph.local_to_lps_rotation
    # at the slit: its x and height, behind the body's centre, within the cortex's 1.5 mm + 1 voxel of
    # the body's surface (local y 14.9 at x 8)
    assert abs(local[0] - slit_local[:, 0].mean()) <= 1.5
    assert abs(local[2] - slit_local[:, 2].mean()) <= 1.5
    assert 14.9 - 2.5 <= local[1] <= 15.5
    # the dock's path for the mask as found gives the same answer
    again = measure_lesion_mask(
        ph.volume,
        lesion.mask,
        lesion_type=lesion.type,
        reference_bone_hu=lesion.reference_bone_hu,
        seed_lps=lesion.seed_lps,
    )
    assert again.cortical_breach
    assert np.allclose(again.cortical_breach_lps, lesion.cortical_breach_lps, atol=1e-6)
