"""Reorientation of a Volume for display, and the geometry of the three 2D views. No Qt here.

Every volume is shown through a *display grid*: an array ``[z, y, x]`` whose index axes point,
in LPS millimetres, along -z (inferior), +y (posterior) and +x (patient's left). Axial slices of
that grid then show the patient's right on the screen's left and anterior up; coronal and sagittal
slices show superior up (radiological convention). The grid is obtained from the Volume's
``index_to_lps`` matrix — never by assuming the stored array is axial:

* grids whose axes lie along LPS axes (head- or feet-first, supine or prone, PIR-stored NIfTI) are
  permuted and flipped as numpy *views* (no copy, exact geometry);
* oblique grids are resampled (trilinear) onto an LPS-aligned grid.

Positions are LPS mm; indices are ``[slice, row, col]`` of the grid they belong to.

The display grid is numbered from the top (superior) down, so for a head-first axial stack the
axial view's slice ``i`` is the source volume's slice ``N - 1 - i``: the source's
``interpolated_slices`` (indices along its own axis 0) are mapped through ``display_to_source_index``
by :meth:`DisplayVolume.interpolated_in_slice`, never compared with display indices directly. The
display grid itself carries no ``interpolated_slices`` (its axis 0 is not the source's slice axis in
general); they stay on ``DisplayVolume.source``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from imaging.mask import Mask
from imaging.slice_numbers import DISPLAY_AXES_LPS, aligned_axes
from imaging.volume import Volume

FloatArray = npt.NDArray[np.float64]

#: HU written where a resampled grid falls outside the scanned field (air)
OUTSIDE_HU = -1024


class ViewAxis(StrEnum):
    """The three 2D views."""

    AXIAL = "axial"
    SAGITTAL = "sagittal"
    CORONAL = "coronal"


#: which display-grid axis is fixed (the slice axis) in each view, and which are rows / cols
VIEW_AXES: dict[ViewAxis, tuple[int, int, int]] = {
    ViewAxis.AXIAL: (0, 1, 2),  # fixed z; rows y (posterior down); cols x (left to the right)
    ViewAxis.CORONAL: (1, 0, 2),  # fixed y; rows z (inferior down); cols x
    ViewAxis.SAGITTAL: (2, 0, 1),  # fixed x; rows z; cols y (anterior left, posterior right)
}

_LETTERS = (("L", "R"), ("P", "A"), ("S", "I"))


@dataclass(frozen=True)
class InterpolatedInSlice:
    """Where one view slice shows source slices that were interpolated rather than measured.

    Parameters
    ----------
    whole
        Every pixel of the slice comes from an interpolated source slice (an axial slice of an axial
        stack that was made up): say so over the whole view.
    bands
        Otherwise, the parts that do: convex polygons of ``(row, col)`` pixel coordinates of this
        slice (pixel centres at integers, the slice spans -0.5 .. rows - 0.5 and -0.5 .. cols - 0.5),
        one per run of consecutive interpolated source slices crossing it.
    """

    whole: bool = False
    bands: tuple[tuple[tuple[float, float], ...], ...] = ()

    @property
    def any(self) -> bool:
        """Some of this slice is interpolated."""
        return self.whole or bool(self.bands)


@dataclass(frozen=True, eq=False)
class DisplayVolume:
    """A volume on its display grid.

    Parameters
    ----------
    volume
        The display grid (shares memory with ``source`` unless ``resampled``).
    source
        The volume as loaded.
    resampled
        True when the source grid was oblique and had to be resampled.
    display_to_source_index
        4x4 matrix from homogeneous display index to source index.
    """

    volume: Volume
    source: Volume
    resampled: bool
    display_to_source_index: FloatArray

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(z, y, x)`` shape of the display grid."""
        return self.volume.shape

    @property
    def spacing_mm(self) -> tuple[float, float, float]:
        """Spacing of the display grid ``(z, y, x)`` in mm."""
        return self.volume.spacing_mm

    def slice_index(self, view: ViewAxis, point_lps: npt.ArrayLike) -> int:
        """The slice of ``view`` through an LPS point, clamped to the grid."""
        fixed = VIEW_AXES[view][0]
        idx = self.volume.lps_to_index_points(point_lps)
        return int(np.clip(np.rint(idx[fixed]), 0, self.shape[fixed] - 1))

    def slice_array(self, view: ViewAxis, index: int) -> npt.NDArray[Any]:
        """The 2D array (rows, cols) of ``view`` at ``index`` along its fixed axis."""
        fixed = VIEW_AXES[view][0]
        index = int(np.clip(index, 0, self.shape[fixed] - 1))
        arr = self.volume.array
        if fixed == 0:
            return arr[index, :, :]
        if fixed == 1:
            return arr[:, index, :]
        return arr[:, :, index]

    def pixel_spacing_mm(self, view: ViewAxis) -> tuple[float, float]:
        """``(row, col)`` spacing in mm of the slices of ``view``."""
        _, r, c = VIEW_AXES[view]
        sp = self.spacing_mm
        return (sp[r], sp[c])

    def pixel_to_lps(self, view: ViewAxis, index: float, row: float, col: float) -> FloatArray:
        """LPS position of a (fractional) pixel of a slice."""
        fixed, r, c = VIEW_AXES[view]
        d = np.zeros(3)
        d[fixed], d[r], d[c] = index, row, col
        return self.volume.index_to_lps_points(d)

    def lps_to_pixel(self, view: ViewAxis, point_lps: npt.ArrayLike) -> tuple[float, float, float]:
        """``(index, row, col)`` fractional position of an LPS point in ``view``."""
        fixed, r, c = VIEW_AXES[view]
        d = self.volume.lps_to_index_points(point_lps)
        return (float(d[fixed]), float(d[r]), float(d[c]))

    def interpolated_in_slice(self, view: ViewAxis, index: int) -> InterpolatedInSlice:
        """Which parts of slice ``index`` of ``view`` lie in the source's interpolated slices.

        A source slice ``k`` covers the source slice coordinate ``k - 0.5 .. k + 0.5`` (what a view
        shows for it, nearest slice); the coordinate is linear across a view slice, so each run of
        interpolated source slices meets it as a band between two parallel lines, or not at all, or
        (slice parallel to the source slices) over the whole slice.
        """
        runs = _runs(self.source.interpolated_slices)
        if not runs:
            return InterpolatedInSlice()
        fixed, r, c = VIEW_AXES[view]
        index = int(np.clip(index, 0, self.shape[fixed] - 1))
        to_slice = self.display_to_source_index[0]  # source slice coordinate of a display index
        per_row, per_col = float(to_slice[r]), float(to_slice[c])
        at_origin = float(to_slice[fixed] * index + to_slice[3])
        rows, cols = self.shape[r], self.shape[c]
        corners = ((-0.5, -0.5), (-0.5, cols - 0.5), (rows - 0.5, cols - 0.5), (rows - 0.5, -0.5))
        values = [per_row * a + per_col * b + at_origin for a, b in corners]
        lo, hi = min(values), max(values)
        if hi - lo < _PARALLEL_TOLERANCE:  # the slice is one source slice (or a part of one)
            nearest = int(np.floor(at_origin + 0.5))
            return InterpolatedInSlice(whole=nearest in self.source.interpolated_slices)
        bands: list[tuple[tuple[float, float], ...]] = []
        for first, last in runs:
            if last + 0.5 <= lo or first - 0.5 >= hi:
                continue
            if first - 0.5 <= lo and hi <= last + 0.5:
                return InterpolatedInSlice(whole=True)
            polygon = _clip_half_plane(list(corners), per_row, per_col, at_origin - (first - 0.5))
            polygon = _clip_half_plane(polygon, -per_row, -per_col, (last + 0.5) - at_origin)
            if len(polygon) >= 3:
                bands.append(tuple(polygon))
        return InterpolatedInSlice(bands=tuple(bands))

    def source_slice_interpolated(self, point_lps: npt.ArrayLike) -> bool:
        """The source slice nearest an LPS point was interpolated, not measured."""
        if not self.source.interpolated_slices:
            return False
        k = float(self.source.lps_to_index_points(point_lps)[0])
        return int(np.floor(k + 0.5)) in self.source.interpolated_slices

    def edge_letters(self, view: ViewAxis) -> dict[str, str]:
        """Orientation letters for the ``left``, ``right``, ``top`` and ``bottom`` screen edges.

        Derived from the display grid's matrix, so they say where the patient really is.
        """
        _, r, c = VIEW_AXES[view]
        m = self.volume.index_to_lps[:3, :3]
        right = _letter(m[:, c])
        down = _letter(m[:, r])
        return {"right": right, "left": _opposite(right), "bottom": down, "top": _opposite(down)}

    def mask_to_display(self, mask: Mask) -> tuple[npt.NDArray[np.bool_], tuple[int, int, int]]:
        """A source-grid mask on the display grid: its box array and the box offset.

        Axis-aligned grids reuse the mask box (a view); oblique ones resample it (nearest).
        """
        if mask.grid_shape != self.source.shape:
            raise ValueError(f"mask grid {mask.grid_shape} is not the volume's {self.source.shape}")
        src_to_disp = np.linalg.inv(self.display_to_source_index)
        off = np.asarray(mask.offset_index, dtype=np.float64)
        n = np.asarray(mask.array.shape, dtype=np.float64)
        corners = np.array(
            [
                [off[0] + a * (n[0] - 1), off[1] + b * (n[1] - 1), off[2] + c * (n[2] - 1)]
                for a in (0, 1)
                for b in (0, 1)
                for c in (0, 1)
            ]
        )
        disp = corners @ src_to_disp[:3, :3].T + src_to_disp[:3, 3]
        if not self.resampled:
            lo = np.rint(disp.min(axis=0)).astype(int)
            perm, flips = _perm_flips(src_to_disp)
            box = mask.array.transpose(perm)
            for axis in range(3):
                if flips[axis]:
                    box = np.flip(box, axis=axis)
            return box, (int(lo[0]), int(lo[1]), int(lo[2]))
        from scipy import ndimage

        lo = np.clip(np.floor(disp.min(axis=0)).astype(int), 0, np.asarray(self.shape) - 1)
        hi = np.clip(np.ceil(disp.max(axis=0)).astype(int) + 1, 1, np.asarray(self.shape))
        shape = tuple(int(v) for v in hi - lo)
        # display index (box-relative) -> mask-box index
        to_box = self.display_to_source_index.copy()
        to_box[:3, 3] = to_box[:3, :3] @ lo + to_box[:3, 3] - off
        out = ndimage.affine_transform(
            mask.array.astype(np.uint8), to_box[:3, :3], offset=to_box[:3, 3], output_shape=shape, order=0
        )
        return out.astype(bool), (int(lo[0]), int(lo[1]), int(lo[2]))


def reorient_for_display(volume: Volume, *, max_voxels: int | None = None) -> DisplayVolume:
    """Put a volume on its display grid (see the module docstring).

    Parameters
    ----------
    volume
        The loaded volume, any orientation.
    max_voxels
        Upper bound on the voxels of a resampled (oblique) grid; the spacing grows to stay under
        it. Defaults to twice the source's voxel count.

    Returns
    -------
    DisplayVolume
        The display grid and the mapping back to the source grid.
    """
    m = volume.index_to_lps[:3, :3]
    unit = m / np.linalg.norm(m, axis=0)
    main = aligned_axes(unit)  # LPS axis of each source index axis, None when oblique
    if main is not None:
        return _permute(volume, main, unit)
    return _resample(volume, max_voxels)


def apply_window(array: npt.NDArray[Any], width_hu: float, level_hu: float) -> npt.NDArray[np.uint8]:
    """Map HU to grey levels 0-255 with a window width and level (linear, clipped).

    Parameters
    ----------
    array
        HU values.
    width_hu, level_hu
        Window width (> 0) and centre in HU.

    Returns
    -------
    numpy.ndarray
        uint8 array of the same shape: 0 at or below ``level - width/2``, 255 at or above
        ``level + width/2``.
    """
    width = max(float(width_hu), 1.0)
    low = float(level_hu) - width / 2.0
    scale = 255.0 / width
    out = np.subtract(array, low, dtype=np.float32)
    out *= scale
    np.clip(out, 0.0, 255.0, out=out)
    return out.astype(np.uint8)


# -- helpers ------------------------------------------------------------------------------------
#: a view slice whose source slice coordinate varies less than this (in slices) across it is parallel
#: to the source slices: it is one source slice, wholly interpolated or not
_PARALLEL_TOLERANCE = 1e-6


def _runs(indices: tuple[int, ...]) -> list[tuple[int, int]]:
    """Sorted indices grouped into runs of consecutive values, as ``(first, last)`` pairs."""
    runs: list[tuple[int, int]] = []
    for k in indices:
        if runs and k == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], k)
        else:
            runs.append((k, k))
    return runs


def _clip_half_plane(
    polygon: list[tuple[float, float]], a: float, b: float, c: float
) -> list[tuple[float, float]]:
    """The part of a convex polygon of ``(row, col)`` points where ``a * row + b * col + c >= 0``."""
    out: list[tuple[float, float]] = []
    n = len(polygon)
    for i in range(n):
        p, q = polygon[i], polygon[(i + 1) % n]
        fp, fq = a * p[0] + b * p[1] + c, a * q[0] + b * q[1] + c
        if fp >= 0:
            out.append(p)
        if (fp >= 0) != (fq >= 0):
            t = fp / (fp - fq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def _letter(direction_lps: FloatArray) -> str:
    axis = int(np.argmax(np.abs(direction_lps)))
    return _LETTERS[axis][0 if direction_lps[axis] > 0 else 1]


def _opposite(letter: str) -> str:
    for a, b in _LETTERS:
        if letter == a:
            return b
        if letter == b:
            return a
    raise ValueError(f"not an orientation letter: {letter!r}")


def _perm_flips(src_to_disp: FloatArray) -> tuple[tuple[int, int, int], tuple[bool, bool, bool]]:
    """For an index permutation matrix: display axis d takes source axis perm[d], flipped or not."""
    perm = [int(np.argmax(np.abs(src_to_disp[d, :3]))) for d in range(3)]
    flips = [bool(src_to_disp[d, perm[d]] < 0) for d in range(3)]
    return (perm[0], perm[1], perm[2]), (flips[0], flips[1], flips[2])


def _permute(volume: Volume, main: npt.NDArray[np.intp], unit: FloatArray) -> DisplayVolume:
    shape = volume.shape
    perm: list[int] = []
    flips: list[bool] = []
    for lps_axis, sign in DISPLAY_AXES_LPS:
        src_axis = int(np.flatnonzero(main == lps_axis)[0])
        perm.append(src_axis)
        flips.append(bool(np.sign(unit[lps_axis, src_axis]) != sign))
    # display index -> source index: src[perm[d]] = n[d] or (N-1-n[d])
    d2s = np.zeros((4, 4))
    d2s[3, 3] = 1.0
    for d in range(3):
        s = perm[d]
        if flips[d]:
            d2s[s, d] = -1.0
            d2s[s, 3] = shape[s] - 1
        else:
            d2s[s, d] = 1.0
    arr = volume.array.transpose(perm)
    for d in range(3):
        if flips[d]:
            arr = np.flip(arr, axis=d)
    disp = Volume(arr, volume.index_to_lps @ d2s, volume.frame_of_reference_uid, volume.metadata)
    return DisplayVolume(disp, volume, False, d2s)


def _resample(volume: Volume, max_voxels: int | None) -> DisplayVolume:
    from scipy import ndimage

    lo, hi = volume.bounds_lps()
    step = float(min(volume.spacing_mm))
    limit = max_voxels if max_voxels is not None else 2 * int(np.prod(volume.shape))
    while True:
        n = np.floor((hi - lo) / step).astype(int) + 1
        if int(np.prod(n)) <= limit:
            break
        step *= 1.1
    # display index (z, y, x) -> LPS: z runs from the top (superior) down
    i2l = np.zeros((4, 4))
    i2l[3, 3] = 1.0
    i2l[2, 0] = -step
    i2l[1, 1] = step
    i2l[0, 2] = step
    i2l[:3, 3] = [lo[0], lo[1], hi[2]]
    d2s = volume.lps_to_index @ i2l
    out = ndimage.affine_transform(
        volume.array,
        d2s[:3, :3],
        offset=d2s[:3, 3],
        output_shape=(int(n[2]), int(n[1]), int(n[0])),
        order=1,
        cval=OUTSIDE_HU,
        output=np.float32 if volume.array.dtype.kind == "f" else np.int16,
    )
    disp = Volume(out, i2l, volume.frame_of_reference_uid, volume.metadata)
    return DisplayVolume(disp, volume, True, d2s)
