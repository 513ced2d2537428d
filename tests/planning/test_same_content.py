"""planning.same_content: values compared by what they hold (masks by voxels, dataclasses by fields)."""

from __future__ import annotations

import numpy as np

from imaging.mask import Mask
from planning.model import LayerKind, MaskLayer
from planning.same_content import same_content


def _ball(radius: int, shift: int = 0) -> Mask:
    grid = np.indices((20, 20, 20)) - 10
    full = (grid**2).sum(axis=0) <= radius**2
    return Mask.from_full(np.roll(full, shift, axis=2))


def test_masks_and_layers_by_their_voxels() -> None:
    a, b = _ball(4), _ball(4)
    assert a is not b and same_content(a, b)
    assert not same_content(a, _ball(5))  # other voxels
    assert not same_content(a, _ball(4, shift=1))  # same voxels elsewhere in the grid
    one = MaskLayer.new("L", LayerKind.LESION, a)
    assert same_content(one, MaskLayer.new("L", LayerKind.LESION, b))
    assert not same_content(one, MaskLayer.new("M", LayerKind.LESION, b))  # another name
    assert not same_content(one, MaskLayer.new("L", LayerKind.LESION, _ball(3)))


def test_containers_numbers_and_arrays() -> None:
    assert same_content({"a": (1.0, np.float64(2.0))}, {"a": (1.0, np.float64(2.0))})
    assert not same_content({"a": (1.0,)}, {"b": (1.0,)})
    assert same_content([float("nan")], [float("nan")])
    assert same_content(np.array([1.0, np.nan]), np.array([1.0, np.nan]))
    assert not same_content(np.zeros(3), np.zeros(4))
    assert not same_content((1, 2), (1, 2, 3))
    assert same_content(None, None) and not same_content(None, 0)
    # objects with no equality of their own are the same only when they are one object
    x, y = object(), object()
    assert same_content(x, x) and not same_content(x, y)
