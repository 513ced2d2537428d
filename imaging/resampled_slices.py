"""Which slices of a stack resampled onto a uniform grid are interpolated rather than measured.

When a DICOM stack has a gap (missing slices) or uneven spacing, the loader resamples it along the
slice normal onto a uniform grid (:func:`imaging.tilt.resample_along_slices`): output slice ``j`` lies
at ``positions_mm[0] + j * spacing_out_mm``, a linear blend of the two measured slices around it.
Positions are mm along the slice normal; slice indices are 0-based along axis 0 of the volume's
``[slice, row, col]`` array.

What counts as interpolated (and so is marked in the views):

* every output slice strictly inside a gap (the steps the import report names as missing slices):
  no measured slice was there, whatever the distance rule below says, so the views and the report
  always agree;
* any other output slice farther than half the output spacing from every measured slice. A slice of a
  regular stack stands for the tissue within half a spacing of it (that is what scrolling through a
  regular stack shows), so an output slice within that reach of a measured slice shows tissue that
  slice measured; farther, it shows tissue no measured slice stood for (the wide side of an uneven
  step). Blends within the reach are not marked: in an uneven stack every output slice is a blend,
  and marking them all would hide the slices that really were made up among those that were not.

A gantry-tilt correction shifts each measured slice within its own plane (no blending across
slices), so it marks no slice.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

#: an output slice farther than this fraction of the output spacing from every measured slice is
#: interpolated (half a spacing: the reach of a slice in a regular stack, see the module docstring)
MEASURED_REACH_FRACTION = 0.5
#: index rounding tolerance (fraction of a slice) when placing a gap's ends on the output grid
_INDEX_TOLERANCE = 1e-6


def gap_slices(gap_start_mm: float, gap_end_mm: float, spacing_out_mm: float) -> tuple[int, int] | None:
    """The output slices strictly inside a gap, as ``(first, last)`` 0-based indices, or None.

    Parameters
    ----------
    gap_start_mm, gap_end_mm
        Positions of the measured slices on either side of the gap, mm along the normal from the
        first measured slice (which is output slice 0).
    spacing_out_mm
        Spacing of the uniform output grid (mm, positive).

    Returns
    -------
    tuple of int or None
        First and last output slice lying between the two measured slices (both inclusive), or None
        when no output slice falls strictly between them.

    Raises
    ------
    ValueError
        If ``spacing_out_mm`` is not positive.
    """
    if not spacing_out_mm > 0:
        raise ValueError(f'Argument "spacing_out_mm" must be positive, got {spacing_out_mm}')
    first = math.floor(gap_start_mm / spacing_out_mm + _INDEX_TOLERANCE) + 1
    last = math.ceil(gap_end_mm / spacing_out_mm - _INDEX_TOLERANCE) - 1
    if last < first:
        return None
    return first, last


def interpolated_slices(
    positions_mm: Sequence[float],
    n_out: int,
    spacing_out_mm: float,
    gap_steps: Iterable[int] = (),
) -> tuple[int, ...]:
    """Output slices of a resampled stack that are interpolated, not measured (module docstring).

    Parameters
    ----------
    positions_mm
        Increasing positions of the measured slices, mm along the normal from the first one.
    n_out
        Number of output slices (positive).
    spacing_out_mm
        Output spacing (mm, positive); output slice ``j`` lies at ``positions_mm[0] + j * spacing_out_mm``.
    gap_steps
        Indices ``g`` of the steps ``positions_mm[g] -> positions_mm[g + 1]`` that are gaps (missing
        slices): every output slice inside them is interpolated.

    Returns
    -------
    tuple of int
        Sorted 0-based indices of the interpolated output slices.

    Raises
    ------
    ValueError
        If the positions are not increasing, ``n_out`` is not positive, the spacing is not positive,
        or a gap step is out of range.
    """
    p = np.asarray(positions_mm, dtype=np.float64)
    if p.ndim != 1 or p.size < 1 or np.any(np.diff(p) <= 0):
        raise ValueError('Argument "positions_mm" must be increasing positions (mm)')
    if n_out < 1:
        raise ValueError(f'Argument "n_out" must be positive, got {n_out}')
    if not spacing_out_mm > 0:
        raise ValueError(f'Argument "spacing_out_mm" must be positive, got {spacing_out_mm}')
    made: set[int] = set()
    for g in gap_steps:
        if not 0 <= g < p.size - 1:
            raise ValueError(f'Argument "gap_steps" holds {g}, not a step of {p.size} positions')
        inside = gap_slices(float(p[g] - p[0]), float(p[g + 1] - p[0]), spacing_out_mm)
        if inside is not None:
            made.update(range(inside[0], min(inside[1], n_out - 1) + 1))
    q = p[0] + np.arange(n_out) * spacing_out_mm
    after = np.clip(np.searchsorted(p, q), 0, p.size - 1)
    before = np.clip(after - 1, 0, p.size - 1)
    nearest_mm = np.minimum(np.abs(q - p[before]), np.abs(q - p[after]))
    reach_mm = MEASURED_REACH_FRACTION * spacing_out_mm * (1.0 + _INDEX_TOLERANCE)
    made.update(int(j) for j in np.flatnonzero(nearest_mm > reach_mm))
    return tuple(sorted(made))
