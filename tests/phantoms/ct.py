"""A small seeded CT phantom with bright markers at known LPS positions (mm).

The scene is defined in patient space (LPS, mm), independently of any grid, and rasterised onto the
grid a test asks for (any ``index_to_lps``, including oblique or sheared gantry-tilt grids). So the
truth is known in closed form whatever way the patient lies or the scanner sliced:

* air at -1000 HU everywhere;
* a body cylinder (axis along LPS z through ``centre_lps``, radius ``body_radius_mm``) at 0 HU with
  seeded noise of a few HU;
* markers: balls of radius ``marker_radius_mm`` at 1000 HU centred on ``CtPhantom.markers_lps``.
  A marker's centroid (HU-weighted or thresholded) recovers its centre to well under a voxel.

Arrays are ``[slice, row, col]``; values are int16 HU.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.volume import SeriesMetadata, Volume, affine_from_geometry

AIR_HU = -1000
BODY_HU = 0
MARKER_HU = 1000
MARKER_THRESHOLD_HU = 500


@dataclass(frozen=True)
class CtPhantom:
    """A phantom volume and the LPS centres (mm) of its markers, shape ``(n, 3)``."""

    volume: Volume
    markers_lps: npt.NDArray[np.float64]


def default_geometry(
    shape: tuple[int, int, int] = (40, 64, 64),
    spacing_mm: tuple[float, float, float] = (2.5, 0.8, 0.8),
    origin_lps: tuple[float, float, float] = (-25.2, -25.2, -50.0),
) -> npt.NDArray[np.float64]:
    """An axial head-first-supine ``index_to_lps`` (identity direction)."""
    return affine_from_geometry(origin_lps, spacing_mm, np.eye(3))


def tilted_geometry(
    tilt_deg: float,
    shape: tuple[int, int, int] = (40, 64, 64),
    spacing_mm: tuple[float, float, float] = (2.5, 0.8, 0.8),
    origin_lps: tuple[float, float, float] = (-25.2, -25.2, -50.0),
) -> npt.NDArray[np.float64]:
    """A gantry-tilted grid: rows tilted by ``tilt_deg`` about LPS x, slices stacked along z.

    Slice positions advance along +z (table motion) while the image plane is tilted, so the slice
    normal is not parallel to the stacking direction: what a tilted CT gantry writes.
    """
    t = np.deg2rad(tilt_deg)
    m = np.eye(4)
    m[:3, 0] = np.array([0.0, 0.0, 1.0]) * spacing_mm[0]
    m[:3, 1] = np.array([0.0, np.cos(t), np.sin(t)]) * spacing_mm[1]
    m[:3, 2] = np.array([1.0, 0.0, 0.0]) * spacing_mm[2]
    m[:3, 3] = origin_lps
    return m


def rotation_lps(axis: tuple[float, float, float], angle_deg: float) -> npt.NDArray[np.float64]:
    """Rotation matrix about ``axis`` (LPS) by ``angle_deg`` (right-handed)."""
    a = np.asarray(axis, dtype=np.float64)
    a = a / np.linalg.norm(a)
    t = np.deg2rad(angle_deg)
    k = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    r: npt.NDArray[np.float64] = np.eye(3) + np.sin(t) * k + (1 - np.cos(t)) * (k @ k)
    return r


def oblique_geometry(
    angle_deg: float = 20.0,
    axis: tuple[float, float, float] = (1.0, 1.0, 0.3),
    shape: tuple[int, int, int] = (40, 64, 64),
    spacing_mm: tuple[float, float, float] = (2.5, 0.8, 0.8),
) -> npt.NDArray[np.float64]:
    """An oblique grid: the axial grid rotated about ``axis`` around its own centre."""
    r = rotation_lps(axis, angle_deg)
    centre_index = (np.asarray(shape, dtype=np.float64) - 1) / 2
    m = affine_from_geometry((0.0, 0.0, 0.0), spacing_mm, r)
    m[:3, 3] = -m[:3, :3] @ centre_index  # grid centre at LPS origin
    return m


def build_ct_phantom(
    index_to_lps: npt.ArrayLike | None = None,
    shape: tuple[int, int, int] = (40, 64, 64),
    *,
    seed: int = 0,
    markers_lps: npt.ArrayLike | None = None,
    body_radius_mm: float = 20.0,
    marker_radius_mm: float = 3.0,
    noise_hu: float = 5.0,
    series_uid: str = "",
    description: str = "phantom",
) -> CtPhantom:
    """Rasterise the phantom scene onto a grid.

    Parameters
    ----------
    index_to_lps
        4x4 grid placement (default: :func:`default_geometry`). May be oblique or sheared.
    shape
        ``(slices, rows, cols)``.
    seed
        Seed of the noise and of the default marker positions.
    markers_lps
        ``(n, 3)`` marker centres in LPS mm; by default four seeded points well inside the grid
        (at least ``3 * marker_radius_mm`` from its faces, on voxel centres).
    body_radius_mm, marker_radius_mm, noise_hu
        Scene sizes (mm) and noise standard deviation (HU).
    series_uid, description
        Stored in the volume's metadata.

    Returns
    -------
    CtPhantom
        The int16 HU volume and the marker centres.
    """
    m = default_geometry(shape) if index_to_lps is None else np.asarray(index_to_lps, dtype=np.float64)
    rng = np.random.default_rng(seed)
    grid = np.indices(shape, dtype=np.float64).reshape(3, -1).T
    pts = grid @ m[:3, :3].T + m[:3, 3]
    centre_lps = pts.mean(axis=0)
    if markers_lps is None:
        margin_index = 3 * marker_radius_mm / np.linalg.norm(m[:3, :3], axis=0)
        lo = np.maximum(margin_index, 2.0)
        hi = np.asarray(shape, dtype=np.float64) - 1 - lo
        # draw inside the inner box of the grid, in index space, then map to LPS
        # snapped to voxel centres so a thresholded centroid on this grid is exact
        idx = np.rint(lo + rng.random((4, 3)) * (hi - lo))
        markers = idx @ m[:3, :3].T + m[:3, 3]
    else:
        markers = np.asarray(markers_lps, dtype=np.float64).reshape(-1, 3)
    values = np.full(pts.shape[0], AIR_HU, dtype=np.float64)
    radial = np.hypot(pts[:, 0] - centre_lps[0], pts[:, 1] - centre_lps[1])
    values[radial <= body_radius_mm] = BODY_HU
    values += rng.normal(0.0, noise_hu, size=values.shape)
    for c in markers:
        values[np.linalg.norm(pts - c, axis=1) <= marker_radius_mm] = MARKER_HU
    # clipped to what a CT stores with the usual intercept -1024 (12-bit unsigned range)
    array = np.clip(np.rint(values), -1024, 3071).astype(np.int16).reshape(shape)
    meta = SeriesMetadata(series_uid=series_uid, description=description, modality="CT")
    return CtPhantom(Volume(array, m, "", meta), markers)


def find_markers_lps(volume: Volume, threshold_hu: float = MARKER_THRESHOLD_HU) -> npt.NDArray[np.float64]:
    """Centroids (LPS mm) of the bright blobs of a loaded volume, sorted by x then y then z."""
    labels, n = ndimage.label(np.asarray(volume.array) >= threshold_hu)
    if n == 0:
        return np.zeros((0, 3))
    centroids = np.asarray(ndimage.center_of_mass(np.ones(labels.shape), labels, range(1, n + 1)))
    lps = volume.index_to_lps_points(centroids)
    return lps[np.lexsort((lps[:, 2], lps[:, 1], lps[:, 0]))]


def match_markers(found_lps: npt.ArrayLike, truth_lps: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """For each true marker, the distance (mm) to the nearest found centroid."""
    f = np.asarray(found_lps, dtype=np.float64).reshape(-1, 3)
    t = np.asarray(truth_lps, dtype=np.float64).reshape(-1, 3)
    if f.shape[0] == 0:
        return np.full(t.shape[0], np.inf)
    d = np.linalg.norm(t[:, None, :] - f[None, :, :], axis=2)
    out: npt.NDArray[np.float64] = d.min(axis=1)
    return out
