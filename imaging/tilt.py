"""Resampling a stack of slices onto a regular orthogonal grid: gantry-tilt shifts and uniform spacing.

Both functions work on ``[slice, row, col]`` arrays of HU. Shifts are in pixels (row, col) in each
slice's own plane; positions are mm along the slice normal. Integer arrays stay integer (rounded);
linear interpolation throughout, so a marker stays where it was to well under a voxel.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.errors import ImportCancelledError


def shift_slices_inplace(
    array: npt.NDArray[np.generic],
    shifts_index: Sequence[tuple[float, float]],
    fill_hu: float,
    *,
    cancel: threading.Event | None = None,
) -> None:
    """Shift every slice ``k`` in its plane by ``shifts_index[k]`` = ``(rows, cols)`` pixels.

    ``out[k, i, j] = in[k, i - shift_rows, j - shift_cols]`` (linear interpolation); pixels coming
    from outside the slice become ``fill_hu``. Used to undo gantry tilt.

    Raises
    ------
    ValueError
        If there is not one shift per slice.
    ImportCancelledError
        When ``cancel`` is set.
    """
    if len(shifts_index) != array.shape[0]:
        raise ValueError(f'Argument "shifts_index" needs {array.shape[0]} shifts, got {len(shifts_index)}')
    is_int = np.issubdtype(array.dtype, np.integer)
    for k, (dr, dc) in enumerate(shifts_index):
        if cancel is not None and cancel.is_set():
            raise ImportCancelledError
        if abs(dr) < 1e-6 and abs(dc) < 1e-6:
            continue
        moved = ndimage.shift(
            array[k].astype(np.float32), (dr, dc), order=1, mode="constant", cval=fill_hu, prefilter=False
        )
        array[k] = np.rint(moved) if is_int else moved


def resample_along_slices(
    array: npt.NDArray[np.generic],
    positions_mm: Sequence[float],
    n_out: int,
    spacing_out_mm: float,
    *,
    progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
) -> npt.NDArray[np.generic]:
    """Linear interpolation of slices at increasing ``positions_mm`` onto ``n_out`` uniform slices.

    Output slice ``j`` lies at ``positions_mm[0] + j * spacing_out_mm``.

    Raises
    ------
    ValueError
        If positions are not increasing or the output grid leaves the input range.
    ImportCancelledError
        When ``cancel`` is set.
    """
    p = np.asarray(positions_mm, dtype=np.float64)
    if p.shape[0] != array.shape[0] or np.any(np.diff(p) <= 0):
        raise ValueError('Argument "positions_mm" must be increasing, one per slice')
    q = p[0] + np.arange(n_out) * spacing_out_mm
    if q[-1] > p[-1] + 1e-3 * spacing_out_mm:
        raise ValueError("output grid extends beyond the last slice")
    out = np.empty((n_out, *array.shape[1:]), dtype=array.dtype)
    is_int = np.issubdtype(array.dtype, np.integer)
    for j, qj in enumerate(q):
        if cancel is not None and cancel.is_set():
            raise ImportCancelledError
        k = int(np.clip(np.searchsorted(p, qj, side="right") - 1, 0, len(p) - 2))
        w = float(np.clip((qj - p[k]) / (p[k + 1] - p[k]), 0.0, 1.0))
        if w < 1e-6:
            out[j] = array[k]
        elif w > 1 - 1e-6:
            out[j] = array[k + 1]
        else:
            mixed = (1 - w) * array[k].astype(np.float32) + w * array[k + 1].astype(np.float32)
            out[j] = np.rint(mixed) if is_int else mixed
        if progress is not None:
            progress((j + 1) / n_out)
    return out
