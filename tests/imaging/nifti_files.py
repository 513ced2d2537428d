"""A minimal NIfTI-1 / NIfTI-2 writer for tests, independent of the program's reader.

Writes an int16 array ``[k, j, i]`` with a header built field by field (either byte order, .nii or
.nii.gz), so tests can damage exactly one field. ``ras`` maps NIfTI voxel ``(i, j, k, 1)`` to RAS mm.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np


def write_nifti(
    path: Path,
    array_kji: np.ndarray,
    *,
    spacing_ijk_mm: tuple[float, float, float],
    offset_ras_mm: tuple[float, float, float],
    rotation: str = "identity",
    qfac: float = 1.0,
    qform_code: int = 1,
    sform_code: int = 1,
    order: str = "<",
    version: int = 1,
    pixdim_override: tuple[float, float, float] | None = None,
) -> np.ndarray:
    """Write the file; return the 4x4 RAS affine the header states (i, j, k -> x, y, z mm).

    ``rotation`` is ``"identity"`` (quaternion 0, 0, 0) or ``"z180"`` (180 degrees about z: quaternion
    b, c, d = 0, 0, 1, rotation diag(-1, -1, 1)). ``qfac`` -1 flips k. ``pixdim_override`` replaces the
    stored pixdim[1..3] (the sform still carries ``spacing_ijk_mm``).
    """
    rot = np.eye(3) if rotation == "identity" else np.diag([-1.0, -1.0, 1.0])
    quat = (0.0, 0.0, 0.0) if rotation == "identity" else (0.0, 0.0, 1.0)
    scale = np.array(spacing_ijk_mm, dtype=np.float64)
    scale[2] *= -1.0 if qfac < 0 else 1.0
    ras = np.eye(4)
    ras[:3, :3] = rot * scale
    ras[:3, 3] = offset_ras_mm
    pixdim = pixdim_override if pixdim_override is not None else spacing_ijk_mm
    nk, nj, ni = array_kji.shape
    dims = [3, ni, nj, nk, 1, 1, 1, 1]
    pix = [qfac, *pixdim, 1.0, 1.0, 1.0, 1.0]
    srow = [float(v) for v in ras[:3, :].reshape(-1)]
    if version == 1:
        h = bytearray(348)
        struct.pack_into(f"{order}i", h, 0, 348)
        struct.pack_into(f"{order}8h", h, 40, *dims)
        struct.pack_into(f"{order}hh", h, 70, 4, 16)  # int16
        struct.pack_into(f"{order}8f", h, 76, *pix)
        struct.pack_into(f"{order}f", h, 108, 352.0)
        struct.pack_into(f"{order}f", h, 112, 1.0)  # scl_slope
        h[123] = 2  # mm
        struct.pack_into(f"{order}hh", h, 252, qform_code, sform_code)
        struct.pack_into(f"{order}3f", h, 256, *quat)
        struct.pack_into(f"{order}3f", h, 268, *offset_ras_mm)
        struct.pack_into(f"{order}12f", h, 280, *srow)
        h[344:348] = b"n+1\0"
        header = bytes(h) + b"\0\0\0\0"
    else:
        h = bytearray(540)
        struct.pack_into(f"{order}i", h, 0, 540)
        h[4:12] = b"n+2\0\r\n\x1a\n"
        struct.pack_into(f"{order}hh", h, 12, 4, 16)
        struct.pack_into(f"{order}8q", h, 16, *dims)
        struct.pack_into(f"{order}8d", h, 104, *pix)
        struct.pack_into(f"{order}q", h, 168, 544)
        struct.pack_into(f"{order}d", h, 176, 1.0)
        struct.pack_into(f"{order}ii", h, 344, qform_code, sform_code)
        struct.pack_into(f"{order}3d", h, 352, *quat)
        struct.pack_into(f"{order}3d", h, 376, *offset_ras_mm)
        struct.pack_into(f"{order}12d", h, 400, *srow)
        struct.pack_into(f"{order}i", h, 500, 2)
        header = bytes(h) + b"\0\0\0\0"
    data = header + np.ascontiguousarray(array_kji).astype(f"{order}i2").tobytes()
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return ras


def ras_to_index_to_lps(ras: np.ndarray) -> np.ndarray:
    """The RAS affine of NIfTI (i, j, k) re-expressed as our ``index_to_lps`` for ``[k, j, i]``."""
    flip = np.diag([-1.0, -1.0, 1.0])
    m = np.eye(4)
    m[:3, 0] = flip @ ras[:3, 2]
    m[:3, 1] = flip @ ras[:3, 1]
    m[:3, 2] = flip @ ras[:3, 0]
    m[:3, 3] = flip @ ras[:3, 3]
    return m
