"""The Volume type: a CT image in Hounsfield units with its position in the patient.

Arrays are indexed ``[slice, row, col]`` (numpy order, as ``SimpleITK.GetArrayFromImage``).
``index_to_lps`` is a 4x4 matrix that maps a homogeneous index ``(slice, row, col, 1)`` to DICOM
patient coordinates ``(x, y, z, 1)`` in LPS millimetres. Its columns are therefore the slice step,
the row step (DICOM column direction cosine times row spacing), the column step (DICOM row direction
cosine times column spacing) and the position of voxel ``[0, 0, 0]``.

``interpolated_slices`` lists the slices (0-based indices along axis 0) whose values the loader made
up by interpolating between measured slices (a gap of missing slices, or the wide side of an uneven
step): the views mark them so a made-up slice never passes as measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

#: no scan reaches this far (mm) from the patient coordinate origin: a point given beyond it is a slip (a
#: 1e308 seed was printed with all its 309 digits, after numpy's warning about casting it, QA s32 D)
FAR_LPS_MM = 1.0e5

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SeriesMetadata:
    """What is known about the series a volume came from. No pixel data.

    ``patient_name`` and ``patient_id`` are kept for reports and the case library only; they must
    never be logged.
    """

    series_uid: str = ""
    study_uid: str = ""
    description: str = ""
    modality: str = "CT"
    patient_name: str = ""
    patient_id: str = ""
    study_date: str = ""
    body_part: str = ""
    convolution_kernel: str = ""
    slice_thickness_mm: float | None = None
    patient_position: str = ""
    source_path: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


def _as_matrix(index_to_lps: npt.ArrayLike) -> FloatArray:
    matrix = np.asarray(index_to_lps, dtype=np.float64)
    if matrix.shape != (4, 4):
        raise ValueError(f'Argument "index_to_lps" must be a 4x4 matrix, got shape {matrix.shape}')
    if not np.allclose(matrix[3], [0.0, 0.0, 0.0, 1.0]):
        raise ValueError(f'Argument "index_to_lps" must have last row [0, 0, 0, 1], got {matrix[3]}')
    if abs(np.linalg.det(matrix[:3, :3])) < 1e-9:
        raise ValueError('Argument "index_to_lps" is singular (a zero or repeated axis)')
    return matrix


def affine_from_geometry(
    origin_lps: Sequence[float],
    spacing_mm: Sequence[float],
    direction: npt.ArrayLike,
) -> FloatArray:
    """Build ``index_to_lps`` from an origin, spacing and direction.

    Parameters
    ----------
    origin_lps
        LPS position (mm) of voxel ``[0, 0, 0]``.
    spacing_mm
        ``(slice, row, col)`` spacing in mm, all positive.
    direction
        3x3 matrix whose columns are the unit directions (LPS) of increasing column index,
        increasing row index and increasing slice index (SimpleITK's x, y, z order).

    Returns
    -------
    numpy.ndarray
        The 4x4 ``index_to_lps`` matrix.

    Raises
    ------
    ValueError
        If the spacing is not three positive numbers or the direction is not 3x3.
    """
    spacing = np.asarray(spacing_mm, dtype=np.float64)
    if spacing.shape != (3,) or not np.all(spacing > 0) or not np.all(np.isfinite(spacing)):
        raise ValueError(f'Argument "spacing_mm" must have 3 positive values, got {tuple(spacing.tolist())}')
    d = np.asarray(direction, dtype=np.float64)
    if d.shape != (3, 3):
        raise ValueError(f'Argument "direction" must be 3x3, got shape {d.shape}')
    origin = np.asarray(origin_lps, dtype=np.float64)
    if origin.shape != (3,):
        raise ValueError(f'Argument "origin_lps" must have 3 values, got {origin.shape}')
    matrix = np.eye(4)
    # index order is (slice, row, col) = (z, y, x) in SimpleITK terms
    matrix[:3, 0] = d[:, 2] * spacing[0]
    matrix[:3, 1] = d[:, 1] * spacing[1]
    matrix[:3, 2] = d[:, 0] * spacing[2]
    matrix[:3, 3] = origin
    return matrix


@dataclass(frozen=True, eq=False)
class Volume:
    """A CT volume: HU values on a grid placed in patient space.

    Parameters
    ----------
    array
        3D array ``[slice, row, col]`` of HU values (int16 where lossless, else float32).
    index_to_lps
        4x4 matrix from homogeneous ``(slice, row, col, 1)`` to LPS mm.
    frame_of_reference_uid
        (0020,0052) Frame of Reference UID, empty when unknown (NIfTI input).
    metadata
        Series description and identifiers.
    interpolated_slices
        Indices along axis 0 (0-based) of the slices interpolated rather than measured; empty when
        every slice was measured or nothing is known (a NIfTI file carries no such record). Stored
        sorted and unique.
    """

    array: npt.NDArray[Any]
    index_to_lps: FloatArray
    frame_of_reference_uid: str = ""
    metadata: SeriesMetadata = field(default_factory=SeriesMetadata)
    interpolated_slices: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.array.ndim != 3:
            raise ValueError(f'Argument "array" must be 3D [slice, row, col], got {self.array.ndim}D')
        object.__setattr__(self, "index_to_lps", _as_matrix(self.index_to_lps))
        made = tuple(sorted({int(k) for k in self.interpolated_slices}))
        if made and (made[0] < 0 or made[-1] >= self.array.shape[0]):
            raise ValueError(
                f'Argument "interpolated_slices" must lie in 0..{self.array.shape[0] - 1}, got {made}'
            )
        object.__setattr__(self, "interpolated_slices", made)

    # -- geometry -------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int, int]:
        """``(slices, rows, cols)``."""
        s = self.array.shape
        return (int(s[0]), int(s[1]), int(s[2]))

    @property
    def spacing_mm(self) -> tuple[float, float, float]:
        """Voxel spacing ``(slice, row, col)`` in mm."""
        norms = np.linalg.norm(self.index_to_lps[:3, :3], axis=0)
        return (float(norms[0]), float(norms[1]), float(norms[2]))

    @property
    def origin_lps(self) -> tuple[float, float, float]:
        """LPS position (mm) of voxel ``[0, 0, 0]``."""
        o = self.index_to_lps[:3, 3]
        return (float(o[0]), float(o[1]), float(o[2]))

    @property
    def direction(self) -> FloatArray:
        """3x3 matrix, columns = unit LPS directions of increasing col, row, slice (ITK order)."""
        m = self.index_to_lps[:3, :3] / np.asarray(self.spacing_mm)
        return np.stack([m[:, 2], m[:, 1], m[:, 0]], axis=1)

    @property
    def lps_to_index(self) -> FloatArray:
        """Inverse of ``index_to_lps``."""
        inv: FloatArray = np.linalg.inv(self.index_to_lps).astype(np.float64)
        return inv

    @property
    def voxel_volume_ml(self) -> float:
        """Volume of one voxel in mL (1 mL = 1000 mm^3)."""
        return float(abs(np.linalg.det(self.index_to_lps[:3, :3])) / 1000.0)

    def index_to_lps_points(self, voxel_index: npt.ArrayLike) -> FloatArray:
        """Convert indices ``(..., 3)`` in ``[slice, row, col]`` order (float allowed) to LPS mm."""
        idx = np.asarray(voxel_index, dtype=np.float64)
        if idx.shape[-1] != 3:
            raise ValueError(f'Argument "voxel_index" must end in 3 values, got shape {idx.shape}')
        out: FloatArray = idx @ self.index_to_lps[:3, :3].T + self.index_to_lps[:3, 3]
        return out

    def lps_to_index_points(self, points_lps: npt.ArrayLike) -> FloatArray:
        """Convert LPS points ``(..., 3)`` in mm to fractional ``[slice, row, col]`` indices."""
        pts = np.asarray(points_lps, dtype=np.float64)
        if pts.shape[-1] != 3:
            raise ValueError(f'Argument "points_lps" must end in 3 values, got shape {pts.shape}')
        inv = self.lps_to_index
        out: FloatArray = pts @ inv[:3, :3].T + inv[:3, 3]
        return out

    def contains_index(self, voxel_index: npt.ArrayLike) -> bool:
        """True when the (rounded) index lies inside the array (never for an index that is not finite).
        Compared as floats: a huge index cast to int warned and wrapped round."""
        idx = np.rint(np.asarray(voxel_index, dtype=np.float64))
        shape = np.asarray(self.shape, dtype=np.float64)
        return bool(np.all(np.isfinite(idx)) and np.all(idx >= 0) and np.all(idx < shape))

    def bounds_lps(self) -> tuple[FloatArray, FloatArray]:
        """Axis-aligned LPS box ``(min_xyz, max_xyz)`` around all voxel centres."""
        corners = np.array(
            [
                [k, i, j]
                for k in (0, self.shape[0] - 1)
                for i in (0, self.shape[1] - 1)
                for j in (0, self.shape[2] - 1)
            ],
            dtype=np.float64,
        )
        pts = self.index_to_lps_points(corners)
        return pts.min(axis=0), pts.max(axis=0)

    # -- derived volumes ------------------------------------------------------------------------
    def with_array(self, array: npt.NDArray[Any]) -> Volume:
        """Same geometry and metadata, another array of the same shape."""
        if array.shape != self.array.shape:
            raise ValueError(f"array shape {array.shape} differs from the volume's {self.shape}")
        return replace(self, array=array)

    def crop(self, start_index: Sequence[int], stop_index: Sequence[int]) -> Volume:
        """The sub-volume ``array[start:stop]`` (clipped to the grid), placed where it was.

        The result shares memory with this volume; its ``interpolated_slices`` are those inside the
        crop, counted from its own first slice.
        """
        start = np.clip(np.asarray(start_index, dtype=int), 0, self.shape)
        stop = np.clip(np.asarray(stop_index, dtype=int), 0, self.shape)
        if np.any(stop <= start):
            raise ValueError(f"empty crop {tuple(start)}..{tuple(stop)} of a {self.shape} volume")
        sub = self.array[start[0] : stop[0], start[1] : stop[1], start[2] : stop[2]]
        matrix = self.index_to_lps.copy()
        matrix[:3, 3] = self.index_to_lps_points(start.astype(np.float64))
        made = tuple(k - int(start[0]) for k in self.interpolated_slices if start[0] <= k < stop[0])
        return Volume(sub, matrix, self.frame_of_reference_uid, self.metadata, made)

    def orientation_code(self) -> str:
        """Three letters (e.g. ``"LPS"``) naming where +col, +row and +slice point (TorchIO style)."""
        letters = (("L", "R"), ("P", "A"), ("S", "I"))
        code = ""
        for axis in self.direction.T:
            dominant = int(np.argmax(np.abs(axis)))
            code += letters[dominant][0 if axis[dominant] > 0 else 1]
        return code

    def __repr__(self) -> str:
        sp = ", ".join(f"{s:.3g}" for s in self.spacing_mm)
        org = ", ".join(f"{o:.1f}" for o in self.origin_lps)
        desc = f", description={self.metadata.description!r}" if self.metadata.description else ""
        made = f", interpolated_slices={len(self.interpolated_slices)}" if self.interpolated_slices else ""
        return (
            f"Volume(shape={self.shape}, spacing_mm=({sp}), orientation={self.orientation_code()}, "
            f"origin_lps=({org}), dtype={self.array.dtype}{desc}{made})"
        )
