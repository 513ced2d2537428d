"""Slice numbers as the operator reads them: one numbering for the views, the import notes and the CLI.

A volume's slice index (axis 0 of ``[slice, row, col]``, 0-based from its first slice in position
order) is not what the operator sees: the 2D views number their slices from 1, top down in the axial
view (superior first), front to back in the coronal view (anterior first) and from the patient's right
to left in the sagittal view, whatever order the scanner wrote them in (head- or feet-first, prone).
A head-first axial volume's first slice is its lowest, so its slice 0 is the axial view's last.

The one convention used everywhere a slice number is shown (the views' corner label and status bar,
the import notes about missing or interpolated slices, ``osteoplan info``'s text) is **the number the
view shows**, 1-based and counted the way the view counts, written like the view's label:
``axial slice 12/40``. Why not the DICOM (0020,0013) Instance Number, which PACS shows? An
interpolated slice has none (it was made up), a resampled stack's slices are not its files, and
NIfTI/NRRD volumes carry none; the operator has to find the slice in this program's views, and the
views can only number what they show. The notes also give each slice's position in mm (what PACS shows
as the slice location) and the files beside a gap, with their instance numbers, for the PACS side.

The views count along fixed patient axes (the display grid of :mod:`app.display_geometry`, whose axes
run along -z, +y and +x in LPS: ``DISPLAY_AXES_LPS``, defined here so that the grid and the numbers use
one); a volume whose slice axis is oblique to them (:func:`aligned_axes`) has no view slice equal to one
of its slices, and :func:`slice_numbering` returns None: the notes then name the position only.
Directions are LPS unit vectors; indices 0-based; numbers 1-based.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: LPS axis (0 x, 1 y, 2 z) and sign of each index axis of the display grid the views show
#: (app.display_geometry): axial slices counted from the top (-z, inferior), coronal from the front
#: (+y, posterior), sagittal from the patient's right (+x, towards the left)
DISPLAY_AXES_LPS = ((2, -1.0), (1, 1.0), (0, 1.0))
#: the view that shows slices across each LPS axis, and the LPS direction it counts in
VIEW_COUNTING: dict[int, tuple[str, float]] = {
    lps_axis: (view, sign)
    for view, (lps_axis, sign) in zip(("axial", "coronal", "sagittal"), DISPLAY_AXES_LPS, strict=True)
}
#: a direction cosine off its main LPS axis by less than this is axis-aligned (1e-3 rad ≈ 0.06°: under
#: 0.25 mm across a 250 mm field): such a volume the views show unresampled, and it is numbered here
AXIS_ALIGNED_TOLERANCE = 1e-3


def aligned_axes(unit: npt.ArrayLike) -> npt.NDArray[np.intp] | None:
    """The main LPS axis of each column of the 3x3 unit direction matrix ``unit`` when every column lies
    within ``AXIS_ALIGNED_TOLERANCE`` of a distinct LPS axis; None for an oblique grid."""
    u = np.asarray(unit, dtype=np.float64)
    main: npt.NDArray[np.intp] = np.argmax(np.abs(u), axis=0)
    off_axis = 1.0 - np.max(np.abs(u), axis=0)
    if len(set(main.tolist())) != 3 or not bool(np.all(off_axis < AXIS_ALIGNED_TOLERANCE)):
        return None
    return main


@dataclass(frozen=True)
class SliceNumbering:
    """How the view showing one index axis of a volume numbers that axis' slices.

    Parameters
    ----------
    view
        ``"axial"``, ``"coronal"`` or ``"sagittal"``: the view whose slices these are.
    count
        Number of slices along the axis (the view's slice count).
    reversed
        The view counts from the axis' last index (a head-first axial stack seen top down).
    """

    view: str
    count: int
    reversed: bool

    def number(self, index: int) -> int:
        """The 1-based number the view shows for the 0-based ``index`` along the axis.

        Raises
        ------
        ValueError
            If ``index`` is not in ``0 .. count - 1``.
        """
        if not 0 <= index < self.count:
            raise ValueError(f'Argument "index" must lie in 0..{self.count - 1}, got {index}')
        return self.count - index if self.reversed else index + 1

    def index(self, number: int) -> int:
        """The 0-based index along the axis of the slice the view shows as ``number`` (1-based).

        Raises
        ------
        ValueError
            If ``number`` is not in ``1 .. count``.
        """
        if not 1 <= number <= self.count:
            raise ValueError(f'Argument "number" must lie in 1..{self.count}, got {number}')
        return self.count - number if self.reversed else number - 1

    def label(self, index: int) -> str:
        """``"12/40"``: the number of the slice at ``index`` and the count, as the view's label shows."""
        return f"{self.number(index)}/{self.count}"

    def text(self, indices: Iterable[int]) -> str:
        """The slices at 0-based ``indices`` in the operator's words: ``"axial slice 12/40"`` or
        ``"axial slices 3-5, 12/40"`` (runs of consecutive numbers, in the view's order)."""
        numbers = sorted({self.number(int(k)) for k in indices})
        if not numbers:
            raise ValueError('Argument "indices" must name at least one slice')
        runs: list[list[int]] = []
        for n in numbers:
            if runs and n == runs[-1][1] + 1:
                runs[-1][1] = n
            else:
                runs.append([n, n])
        listed = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs)
        plural = "s" if len(numbers) > 1 else ""
        return f"{self.view} slice{plural} {listed}/{self.count}"


def slice_numbering(
    direction: npt.ArrayLike, shape: tuple[int, ...] | list[int], axis: int = 0
) -> SliceNumbering | None:
    """How the views number the slices along one index axis of a grid, or None when no view shows them.

    Parameters
    ----------
    direction
        3x3 matrix whose columns are the unit LPS directions of increasing col, row and slice index
        (ITK order, as ``Volume.direction`` and ``SeriesInfo.direction``).
    shape
        The grid's ``(slices, rows, cols)``.
    axis
        The index axis numbered: 0 slice (the default: the volume's own slices), 1 row, 2 col.

    Returns
    -------
    SliceNumbering or None
        None when the grid is oblique to the patient axes (the views resample it, so none of their
        slices is one of the grid's).

    Raises
    ------
    ValueError
        If ``direction`` is not 3x3, ``shape`` not three sizes or ``axis`` not 0, 1 or 2.
    """
    m = np.asarray(direction, dtype=np.float64)
    if m.shape != (3, 3):
        raise ValueError(f'Argument "direction" must be a 3x3 matrix, got shape {m.shape}')
    if len(shape) != 3:
        raise ValueError(f'Argument "shape" must have 3 sizes, got {tuple(shape)}')
    if axis not in (0, 1, 2):
        raise ValueError(f'Argument "axis" must be 0, 1 or 2, got {axis}')
    norms = np.linalg.norm(m, axis=0)
    if not np.all(norms > 0):
        raise ValueError('Argument "direction" must have non-zero columns')
    unit = m / norms
    main = aligned_axes(unit)
    if main is None:
        return None
    column = 2 - axis  # ITK order: the columns are col, row, slice
    lps_axis = int(main[column])
    view, counting_sign = VIEW_COUNTING[lps_axis]
    reversed_ = bool(np.sign(unit[lps_axis, column]) != counting_sign)
    return SliceNumbering(view, int(shape[axis]), reversed_)
