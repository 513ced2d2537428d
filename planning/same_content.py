"""Whether two values hold the same content: masks and arrays by their voxels, dataclasses field by field.

Derived figures (a target's cement and risk) are computed from values of the case and of the found
anatomy. An edit undone gives back an equal value that is another object (a lesion layer rebuilt from
the undo history, a vertebra overlaid again with its layers), so "the same object" says too little:
:func:`same_content` compares what the values hold. :class:`imaging.mask.Mask` compares by its box, its
place in the grid and its voxels; numpy arrays by shape and values; frozen dataclasses (``MaskLayer``,
``VertebraAnatomy``) field by field; mappings, tuples and lists item by item; floats with NaN equal to
NaN; anything else with ``==``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from imaging.mask import Mask

__all__ = ["same_content"]


def same_content(a: Any, b: Any) -> bool:
    """True when ``a`` and ``b`` hold the same content (see the module's docstring).

    Parameters
    ----------
    a, b
        Values to compare: masks, arrays, dataclass instances, mappings, sequences or plain values.

    Returns
    -------
    bool
        True when equal in content; False when they differ, or when a value cannot be compared (two
        objects of a type with no equality of its own that are not the same object).
    """
    if a is b:
        return True
    if type(a) is not type(b):
        return _plain_equal(a, b)
    if isinstance(a, Mask):
        return (
            a.offset_index == b.offset_index
            and a.grid_shape == b.grid_shape
            and np.array_equal(a.array, b.array)
        )
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return all(
            same_content(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a) if f.compare
        )
    if isinstance(a, Mapping):
        return a.keys() == b.keys() and all(same_content(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same_content(x, y) for x, y in zip(a, b, strict=True))
    return _plain_equal(a, b)


def _plain_equal(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    result = a == b
    # numpy scalars answer np.bool_; an answer that is no truth value (an array) is not an equality
    return bool(result) if isinstance(result, (bool, np.bool_)) else False
