"""Which lesions the opaque bone surface of the 3D view would hide (app.view3d_see_through).

Session 22 turned the bone see-through once the case held any lesion; a lesion outside bone is not hidden
by the bone surface, and the bone should then stay opaque. Truth by construction on a small grid of 1 mm
voxels (the rule reads voxels only): soft tissue 40 HU, bone 700 HU, a threshold of 200 HU (the view's
default).
"""

from __future__ import annotations

import numpy as np
import pytest

from app.view3d_see_through import lesion_hidden_by_bone
from imaging.mask import Mask

THRESHOLD_HU = 200.0
SHAPE = (20, 40, 40)


def _ball(centre: tuple[int, int, int], radius: float) -> np.ndarray:
    idx = np.indices(SHAPE)
    return np.sum((idx - np.asarray(centre)[:, None, None, None]) ** 2, axis=0) <= radius**2


def _ring_bone() -> np.ndarray:
    """A hollow square tube along the slices (a vertebral body's cortex seen in axial slices): bone rows and
    columns 10..30, hollow 13..27, marrow at 40 HU inside."""
    hu = np.full(SHAPE, 40.0, dtype=np.float32)
    hu[:, 10:31, 10:31] = 700.0
    hu[:, 13:28, 13:28] = 40.0
    return hu


def test_a_dense_lesion_overlapping_bone_is_hidden() -> None:
    hu = np.full(SHAPE, 40.0, dtype=np.float32)
    hu[5:15, 5:15, 5:15] = 700.0
    assert lesion_hidden_by_bone(hu, Mask.from_full(_ball((10, 10, 10), 3)), THRESHOLD_HU)


def test_a_dark_lesion_inside_a_bone_ring_is_hidden() -> None:
    hu = _ring_bone()
    lesion = _ball((10, 20, 20), 4)
    hu[lesion] = 30.0  # lytic: below the threshold everywhere, enclosed by the cortex in its slices
    assert lesion_hidden_by_bone(hu, Mask.from_full(lesion), THRESHOLD_HU)


@pytest.mark.parametrize("where", ["beside the bone", "in a bone open on one side"])
def test_a_lesion_outside_bone_is_not_hidden(where: str) -> None:
    hu = _ring_bone()
    if where == "in a bone open on one side":
        hu[:, 13:28, 28:31] = 40.0  # the ring's +col wall removed: a U, open towards +col
        lesion = _ball((10, 20, 22), 3)
    else:
        lesion = _ball((10, 4, 20), 3)  # in the soft tissue in front of the ring (rows 1..7)
    assert not (hu[lesion] >= THRESHOLD_HU).any()
    assert not lesion_hidden_by_bone(hu, Mask.from_full(lesion), THRESHOLD_HU)


def test_an_empty_mask_or_another_grid() -> None:
    hu = _ring_bone()
    assert not lesion_hidden_by_bone(hu, Mask.from_full(np.zeros(SHAPE, dtype=bool)), THRESHOLD_HU)
    with pytest.raises(ValueError, match="differs from the volume"):
        lesion_hidden_by_bone(hu[:10], Mask.from_full(_ball((10, 20, 20), 3)), THRESHOLD_HU)
