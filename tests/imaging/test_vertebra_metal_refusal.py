"""A vertebra search refused near metal says so (QA session 17 V item B).

On the abdomen CT with a 3071 HU rod through L3's right pedicle the search was refused as "wider than a
vertebral body ... rib head, thin cortex?", with no word of the rod. Built here by construction: soft
tissue with a 3000 HU rod (a screw's density, above CLINICAL.md's 1000-2000 HU cortical range) and no
bone, so the search is refused whatever it tries; the refusal must name the metal and its side, and the
same volume without the rod must not.
"""

from __future__ import annotations

import numpy as np
import pytest

from imaging.vertebra import VertebraNotFoundError, find_vertebra
from imaging.volume import Volume, affine_from_geometry

SHAPE = (60, 100, 100)  # [slice, row, col], 1 mm voxels, LPS axes
ORIGIN_LPS = (-50.0, -50.0, -30.0)


def _volume(*, rod: bool) -> Volume:
    hu = np.full(SHAPE, 40.0, dtype=np.float32)  # muscle
    if rod:
        # a 6 mm rod along the slices, 15 mm to the patient's right (-x in LPS) of the click
        _k, j, i = np.indices(SHAPE)
        x_mm, y_mm = ORIGIN_LPS[0] + i, ORIGIN_LPS[1] + j
        hu[(x_mm + 15.0) ** 2 + y_mm**2 <= 9.0] = 3000.0
    return Volume(hu, affine_from_geometry(ORIGIN_LPS, (1.0, 1.0, 1.0), np.eye(3)))


def test_a_refusal_near_metal_names_the_metal() -> None:
    with pytest.raises(VertebraNotFoundError) as refused:
        find_vertebra(_volume(rod=True), (0.0, 0.0, 0.0))
    reason = refused.value.reason
    assert "metal" in reason and "on the right side" in reason, reason
    assert "up to 3000 HU" in reason, reason


def test_a_refusal_without_metal_does_not_mention_it() -> None:
    with pytest.raises(VertebraNotFoundError) as refused:
        find_vertebra(_volume(rod=False), (0.0, 0.0, 0.0))
    assert "metal" not in refused.value.reason
