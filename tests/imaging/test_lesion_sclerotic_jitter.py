"""A small sclerotic lesion from a seed one voxel away (session 20, task B): strict xfail, with its cause.

Bone-lesions case1 (lumbar body, sclerotic focus of about 400 HU under the end plate): the 27 seeds at the
centres of the voxels within one index step of the box centre's voxel (as tests/benchmarks/
bench_lesion_jitter.py). Target: none refused, and every volume within half to twice the median of the
27 (a one-voxel move of the click must not halve or double the lesion). tests/benchmarks/
bench_sclerotic_jitter.py gives the figures behind the reason. The volume part passes since session 20
(task B2); the refusals are a different cause and stay a strict xfail.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imaging.lesion import segment_lesion
from imaging.lesion_errors import NoLesionAtSeedError
from tests.imaging.test_lesion_realdata import _case

REFUSALS = pytest.mark.xfail(
    strict=True,
    reason=(
        "13 of 27 seeds refused (main at 667548b, unchanged by the thickness-scaled opening of session 20): "
        "the focus is a plate 3-4 mm thick, and the 2 mm seed ball one slice below its centre reads "
        "208-327 HU, within 88 HU of the reference (220-282 HU): the seed is judged at a scale wider than "
        "the plate is thick. Tried (session 20, task R; tests/benchmarks/bench_seed_nudge.py) and not "
        "adopted: judging a seed refused as normal bone again from its most abnormal neighbouring voxel "
        "leaves 2 of 27 refused, but normal-bone seeds are accepted more often (case1 40 -> 53 of 75, "
        "case4 43 -> 50, case5 20 -> 33, case7 44 -> 52) and case4's femoral-head normal seed becomes a "
        "lesion"
    ),
)


def _grow_27(shared_data: Path) -> tuple[list[float], int]:
    volume, centre, _ = _case(shared_data / "bone-lesions", 0)
    voxel = np.rint(volume.lps_to_index_points(centre))
    volumes, refused = [], 0
    for offset in np.ndindex(3, 3, 3):
        seed = volume.index_to_lps_points(voxel + np.asarray(offset) - 1.0)
        try:
            volumes.append(segment_lesion(volume, seed).volume_ml)
        except NoLesionAtSeedError:
            refused += 1
    return volumes, refused


@pytest.mark.realdata
def test_case1_one_voxel_seed_moves_keep_the_lesions_volume(shared_data: Path) -> None:
    # before (main at 667548b) 0.019-0.250 mL: thresholded at 307-332 HU the plate's band is 2-3 voxels
    # thick and the final 1 mm opening kept 26-153 of 208-427 voxels, the scrap at the seed's ball or,
    # when none touched it, the unopened component. The opening now follows the lesion's thickness
    # (imaging.lesion_grow.final_opening): the plate is not opened, 0.167-0.392 mL (median 0.267,
    # 0.63-1.47 of it) over the 14 seeds accepted
    volumes, _ = _grow_27(shared_data)
    assert volumes
    median = float(np.median(volumes))
    assert all(median / 2.0 <= v <= 2.0 * median for v in volumes), volumes


@pytest.mark.realdata
@REFUSALS
def test_case1_one_voxel_seed_moves_are_not_refused(shared_data: Path) -> None:
    _, refused = _grow_27(shared_data)
    assert refused == 0


@pytest.mark.realdata
def test_case7_lesion2_seed_one_voxel_off_keeps_the_lesions_volume(shared_data: Path) -> None:
    # case7's second lesion (upper thoracic body, patchy sclerotic foci): the seed one voxel off the box
    # centre's voxel by (+1, -1, -1) index steps reads 329 HU, 89 HU above the reference (240 HU), so it
    # grows as a sclerotic lesion where its neighbours are judged by their texture (2.9-3.1 mL). Its
    # sclerotic growth is 1.7 mm deep at most; the lytic part joined to it 2.7 mm. Before (main at
    # 740ceb9) that lytic part set a 1 mm final opening, which split the patchy foci into pieces joined
    # by strands and kept the one at the seed: 539 of 2,453 grown voxels, 0.540 mL. The opening's scale
    # is now the sclerotic growth's own (imaging.lesion_grow.final_opening): 2.957 mL, centre 3.060 mL
    volume, centre, _ = _case(shared_data / "bone-lesions", 5)
    voxel = np.rint(volume.lps_to_index_points(centre))
    at_centre = segment_lesion(volume, volume.index_to_lps_points(voxel)).volume_ml
    off = segment_lesion(volume, volume.index_to_lps_points(voxel + np.array([1.0, -1.0, -1.0]))).volume_ml
    assert at_centre / 2.0 <= off <= 2.0 * at_centre, (off, at_centre)
