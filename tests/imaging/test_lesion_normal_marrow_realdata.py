"""A lesion click on the normal low-density marrow of lumbar-ct-labels' L3 body is refused (not lytic).

lumbar-ct-labels (1.5 mm voxels, noise about 70 HU) has osteoporotic-looking bodies: their marrow reads
43-69 HU (median of each body's label), inside a denser rim of cortex and end plates. Before, a click at
L3's body centre was a 110 mL lytic "lesion" (the whole body and more), and 4 mm above it and 5 mm behind
it 81 and 129 mL: the deep-bone check (:mod:`imaging.lesion_deep`) found none of the bodies' marrow
(the 1.5 mm grid was not pooled, so the cortex's one-voxel gaps stayed open and the marrow was never
inside the bone) and compared the seed with the posterior elements instead (median 133 HU). With cells
of two voxels the marrow is the deep bone (about 100 HU) and the clicks are refused as like it
(tests/benchmarks/normal_marrow_figures.py gives every body's figures).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imaging.lesion import segment_lesion
from imaging.lesion_errors import NoLesionAtSeedError
from tests.imaging.real_volumes import lumbar_ct, lumbar_subregions, lumbar_vertebrae

L3 = 22  # lumbar-ct-labels' vertebra label
BODY = 50  # its subregion label for the body's marrow (49 is the body's cortex)

#: from L3's body centroid (LPS mm): the centre, 4 mm up and down, 5 mm behind
OFFSETS_MM = [
    pytest.param((0.0, 0.0, 0.0), id="centre"),
    pytest.param((0.0, 0.0, 4.0), id="4mm-up"),
    pytest.param((0.0, 0.0, -4.0), id="4mm-down"),
    pytest.param((0.0, 5.0, 0.0), id="5mm-behind"),
]


@pytest.mark.realdata
@pytest.mark.parametrize("offset", OFFSETS_MM)
def test_click_in_l3_normal_marrow_is_refused_as_like_the_deep_bone(
    shared_data: Path, offset: tuple[float, float, float]
) -> None:
    volume = lumbar_ct(shared_data)
    body = (lumbar_vertebrae(shared_data) == L3) & (lumbar_subregions(shared_data) == BODY)
    centre = volume.index_to_lps_points(np.argwhere(body).mean(axis=0))
    seed = centre + np.asarray(offset)
    assert body[tuple(np.rint(volume.lps_to_index_points(seed)).astype(int))]  # in the body's marrow
    with pytest.raises(NoLesionAtSeedError, match="deep trabecular bone") as info:
        segment_lesion(volume, seed)
    # compared with the bodies' marrow (about 100 HU), not with the posterior elements (133-149 HU before)
    deep_hu = info.value.reference_bone_hu
    assert deep_hu is not None and deep_hu < 120.0
