"""A small sclerotic lesion from a seed one voxel away (session 20, task B): strict xfail, with its cause.

Bone-lesions case1 (lumbar body, sclerotic focus of about 400 HU under the end plate): the 27 seeds at the
centres of the voxels within one index step of the box centre's voxel (as tests/benchmarks/
bench_lesion_jitter.py). Target: none refused, and every volume within half to twice the median of the
27 (a one-voxel move of the click must not halve or double the lesion). tests/benchmarks/
bench_sclerotic_jitter.py gives the figures behind the reason.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imaging.lesion import segment_lesion
from imaging.lesion_errors import NoLesionAtSeedError
from tests.imaging.test_lesion_realdata import _case

JITTER = pytest.mark.xfail(
    strict=True,
    reason=(
        "main at 667548b: 13 of 27 seeds refused and the rest 0.019-0.250 mL. Refusals: the focus is a plate "
        "3-4 mm thick, and the 2 mm seed ball one slice below its centre reads 208-327 HU, within 88 HU of "
        "the reference (220-282 HU). Volumes: thresholded at 307-332 HU its band is 2-3 voxels thick, the "
        "final 1 mm opening of imaging.lesion_grow keeps 26-153 of 208-427 voxels, and the lesion is the "
        "scrap at the seed's ball (0.019-0.150 mL) or, when no scrap touches the ball, the unopened "
        "component (0.19-0.25 mL). Without that opening for a sclerotic seed the volumes are 0.190-0.392 mL "
        "but case5's lesion runs along its rib out of its box (83 % within box + 1 mm, 90 % wanted)"
    ),
)


@pytest.mark.realdata
@JITTER
def test_case1_one_voxel_seed_moves_keep_the_lesion(shared_data: Path) -> None:
    volume, centre, _ = _case(shared_data / "bone-lesions", 0)
    voxel = np.rint(volume.lps_to_index_points(centre))
    volumes, refused = [], 0
    for offset in np.ndindex(3, 3, 3):
        seed = volume.index_to_lps_points(voxel + np.asarray(offset) - 1.0)
        try:
            volumes.append(segment_lesion(volume, seed).volume_ml)
        except NoLesionAtSeedError:
            refused += 1
    assert refused == 0
    median = float(np.median(volumes))
    assert all(median / 2.0 <= v <= 2.0 * median for v in volumes)
