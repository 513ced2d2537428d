"""A seeded synthetic lumbar-like vertebra with its anatomy known by construction.

Frames and units: positions in DICOM LPS millimetres (+x patient LEFT, +y POSTERIOR, +z SUPERIOR);
CT values in HU; volumes in mL; areas in mm^2. The anatomy is defined analytically in a *local* frame
(origin at the vertebral body's centre; local +x left, +y posterior, +z superior) which is rotated by
``yaw_deg`` (about the local z axis, axial rotation of the spine) and ``pitch_deg`` (about the local x
axis, lordosis / kyphosis) and placed at ``center_lps``. The voxel grid is independent of the anatomy:
any spacing and any patient orientation (``GridOrientation``: head/feet first, supine/prone, PIR as in
lumbar-ct-labels) encoded in the volume's direction matrix.

Construction (default sizes, all parameters of :func:`make_vertebra_phantom`):

- body: elliptic cylinder, semi-axes 22 mm (x) and 16 mm (y), height 26 mm; cortical shell 1.5 mm at
  1000 HU (endplates included), trabecular bone 200 HU;
- pedicles: from ``target`` (8 mm lateral, 4 mm anterior of the body centre, inside the body) to
  ``entry`` (22 mm lateral, 42 mm posterior: the posterior pedicle/lamina junction), elliptic cross
  section 14 mm tall, width ``8 mm + 0.015/mm * (s - s_isthmus)^2`` (an hourglass whose narrowest point,
  the isthmus, is where the axis crosses the canal centre's y);
- lamina: a posterior elliptic arch behind the canal, and a spinous process;
- spinal canal: fluid (10 HU), the region medial to the pedicles' inner surfaces, posterior to the body
  and anterior to the lamina, running through the whole phantom;
- discs (80 HU) above and below, optional adjacent vertebrae, soft tissue 40 HU elsewhere;
- options: a posterior-wall defect (a soft-tissue plug through the posterior cortex at a known place),
  a lytic lesion (sphere of known volume), a collapse (reduced body height).

All bone gets its cortex from one rule (voxels of the bony solid within ``cortex_mm`` of its surface),
so pedicles and lamina have a cortex too and there is none where the pedicle joins the body.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.vertebra_model import Side
from imaging.volume import Volume, affine_from_geometry

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

SOFT_TISSUE_HU = 40.0
CORTEX_HU = 1000.0
TRABECULAR_HU = 200.0
CANAL_HU = 10.0
DISC_HU = 80.0
LESION_HU = 30.0


class GridOrientation(StrEnum):
    """How the voxel grid lies in the patient (the volume's direction matrix)."""

    HFS = "HFS"  # head first supine: col +x, row +y, slice +z (plain LPS)
    FFS = "FFS"  # feet first supine: col -x, row +y, slice -z
    HFP = "HFP"  # head first prone: col -x, row -y, slice +z
    FFP = "FFP"  # feet first prone: col +x, row -y, slice -z
    PIR = "PIR"  # col +y (posterior), row -z (inferior), slice -x (right), as lumbar-ct-labels


#: columns = LPS unit direction of increasing col, row, slice (ITK order, as Volume.direction)
_DIRECTIONS: dict[GridOrientation, tuple[tuple[float, float, float], ...]] = {
    GridOrientation.HFS: ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    GridOrientation.FFS: ((-1, 0, 0), (0, 1, 0), (0, 0, -1)),
    GridOrientation.HFP: ((-1, 0, 0), (0, -1, 0), (0, 0, 1)),
    GridOrientation.FFP: ((1, 0, 0), (0, -1, 0), (0, 0, -1)),
    GridOrientation.PIR: ((0, 1, 0), (0, 0, -1), (-1, 0, 0)),
}


def direction_matrix(orientation: GridOrientation | str) -> FloatArray:
    """3x3 direction matrix (columns = col, row, slice directions in LPS) for an orientation."""
    cols = _DIRECTIONS[GridOrientation(orientation)]
    return np.array(cols, dtype=np.float64).T


@dataclass(frozen=True)
class PedicleTruth:
    """A constructed pedicle: its axis, narrowest width and where that is (LPS mm)."""

    side: Side
    entry_lps: FloatArray
    target_lps: FloatArray
    min_width_mm: float
    height_mm: float
    isthmus_lps: FloatArray
    mask: BoolArray

    @property
    def direction_lps(self) -> FloatArray:
        """Unit vector from target (in the body) to entry (posterior)."""
        d = self.entry_lps - self.target_lps
        out: FloatArray = d / np.linalg.norm(d)
        return out


@dataclass(frozen=True)
class VertebraPhantom:
    """A phantom volume with the truth it was built from. Masks are full-grid booleans."""

    volume: Volume
    center_lps: FloatArray
    local_to_lps_rotation: FloatArray  # columns: local x (left), y (posterior), z (superior) in LPS
    body_mask: BoolArray  # body incl. its cortex and endplates, no posterior elements
    body_cortex_mask: BoolArray
    canal_mask: BoolArray
    posterior_wall_mask: BoolArray  # body cortex within 2 mm of the canal
    pedicles: dict[Side, PedicleTruth]
    body_height_mm: float
    body_semi_axes_mm: tuple[float, float]  # (x: left-right, y: antero-posterior)
    body_volume_ml: float  # closed form pi*a*b*h
    canal_centroid_lps: FloatArray  # at the body's mid-height, closed-form sampling at 0.05 mm
    canal_area_mm2: float  # cross-section at mid-height, same sampling
    superior_endplate_center_lps: FloatArray
    inferior_endplate_center_lps: FloatArray
    wall_defect_center_lps: FloatArray | None = None
    wall_defect_size_mm: float | None = None
    lesion_center_lps: FloatArray | None = None
    lesion_radius_mm: float | None = None
    lesion_mask: BoolArray | None = None
    adjacent_centers_lps: tuple[FloatArray, ...] = field(default=())

    @property
    def lesion_volume_ml(self) -> float | None:
        """Closed-form lesion sphere volume (the part outside the body is negligible by design)."""
        if self.lesion_radius_mm is None:
            return None
        return 4.0 / 3.0 * math.pi * self.lesion_radius_mm**3 / 1000.0

    def to_lps(self, local_mm: npt.ArrayLike) -> FloatArray:
        """Local anatomical coordinates (mm, relative to the body centre) to LPS."""
        p = np.asarray(local_mm, dtype=np.float64)
        out: FloatArray = p @ self.local_to_lps_rotation.T + self.center_lps
        return out


@dataclass(frozen=True)
class _Geometry:
    body_a: float
    body_b: float
    body_h: float
    ped_target: tuple[float, float]  # (|x|, y) local
    ped_entry: tuple[float, float]
    ped_min_width: float
    ped_height: float
    ped_k: float  # width growth per mm^2 away from the isthmus
    canal_cy: float
    lamina_in: tuple[float, float]
    lamina_out: tuple[float, float]
    disc_h: float

    @property
    def isthmus_s(self) -> float:
        tx, ty = self.ped_target
        ex, ey = self.ped_entry
        length = math.hypot(ex - tx, ey - ty)
        return (self.canal_cy - ty) / (ey - ty) * length


def _rotation(yaw_deg: float, pitch_deg: float) -> FloatArray:
    cy, sy = math.cos(math.radians(yaw_deg)), math.sin(math.radians(yaw_deg))
    cp, sp = math.cos(math.radians(pitch_deg)), math.sin(math.radians(pitch_deg))
    rz = np.array([[cy, -sy, 0.0], [sy, cy, 0.0], [0.0, 0.0, 1.0]])
    rx = np.array([[1.0, 0.0, 0.0], [0.0, cp, -sp], [0.0, sp, cp]])
    out: FloatArray = rz @ rx
    return out


def _pedicle_solid(g: _Geometry, sign: float, x: FloatArray, y: FloatArray, z: FloatArray) -> BoolArray:
    """Hourglass elliptic pedicle of one side (sign +1 left, -1 right), local coordinates."""
    t = np.array([sign * g.ped_target[0], g.ped_target[1], 0.0])
    e = np.array([sign * g.ped_entry[0], g.ped_entry[1], 0.0])
    length = float(np.linalg.norm(e - t))
    a = (e - t) / length
    u = np.array([a[1], -a[0], 0.0])  # in the axial plane, perpendicular to the axis
    dx, dy = x - t[0], y - t[1]
    s = dx * a[0] + dy * a[1]
    w = dx * u[0] + dy * u[1]
    half_w = 0.5 * (g.ped_min_width + g.ped_k * (s - g.isthmus_s) ** 2)
    inside = (w / half_w) ** 2 + (z / (0.5 * g.ped_height)) ** 2 <= 1.0
    result: BoolArray = inside & (s >= 0.0) & (s <= length)
    return result


def _pedicle_inner_x(g: _Geometry, y: FloatArray) -> FloatArray:
    """|x| of the narrowest pedicle's medial surface at a given y (local, axial plane)."""
    tx, ty = g.ped_target
    ex, ey = g.ped_entry
    axis_x = tx + (ex - tx) * (y - ty) / (ey - ty)
    cos_t = (ey - ty) / math.hypot(ex - tx, ey - ty)
    out: FloatArray = axis_x - 0.5 * g.ped_min_width / cos_t
    return out


def _canal_section(g: _Geometry, x: FloatArray, y: FloatArray) -> BoolArray:
    """The canal's cross-section (before bone is removed), local axial coordinates."""
    in_body = (x / g.body_a) ** 2 + (y / g.body_b) ** 2 <= 1.0
    medial = np.abs(x) < _pedicle_inner_x(g, y)
    front = y <= g.canal_cy
    rin_x, rin_y = g.lamina_in
    back = ((x / rin_x) ** 2 + ((y - g.canal_cy) / rin_y) ** 2 <= 1.0) & (y > g.canal_cy)
    out: BoolArray = (y > 0.0) & ~in_body & medial & (front | back)
    return out


def _posterior_solid(g: _Geometry, x: FloatArray, y: FloatArray, z: FloatArray) -> BoolArray:
    """Pedicles, lamina and spinous process of one vertebra (local coordinates)."""
    zh = 0.5 * g.ped_height + 3.0
    rin_x, rin_y = g.lamina_in
    rout_x, rout_y = g.lamina_out
    dy = y - g.canal_cy
    lamina = (
        (dy > 0.0)
        & ((x / rout_x) ** 2 + (dy / rout_y) ** 2 <= 1.0)
        & ((x / rin_x) ** 2 + (dy / rin_y) ** 2 > 1.0)
        & (np.abs(z) <= zh)
    )
    spinous = (np.abs(x) <= 3.0) & (dy > rin_y) & (dy <= rout_y + 28.0) & (z >= -zh - 4.0) & (z <= 0.5 * zh)
    out: BoolArray = lamina | spinous | _pedicle_solid(g, 1.0, x, y, z) | _pedicle_solid(g, -1.0, x, y, z)
    return out


def _grid_for_box(
    box_min_lps: FloatArray,
    box_max_lps: FloatArray,
    spacing_mm: tuple[float, float, float],
    direction: FloatArray,
) -> tuple[FloatArray, tuple[int, int, int]]:
    """index_to_lps and shape of a grid with this direction covering an LPS box."""
    m0 = affine_from_geometry((0.0, 0.0, 0.0), spacing_mm, direction)
    inv = np.linalg.inv(m0[:3, :3])
    corners = np.array(
        [
            [cx, cy, cz]
            for cx in (box_min_lps[0], box_max_lps[0])
            for cy in (box_min_lps[1], box_max_lps[1])
            for cz in (box_min_lps[2], box_max_lps[2])
        ]
    )
    idx = corners @ inv.T
    lo = idx.min(axis=0)
    hi = idx.max(axis=0)
    shape_f = np.ceil(hi - lo).astype(int) + 1
    origin = m0[:3, :3] @ lo
    matrix = affine_from_geometry(origin, spacing_mm, direction)
    return matrix, (int(shape_f[0]), int(shape_f[1]), int(shape_f[2]))


def make_vertebra_phantom(
    *,
    spacing_mm: tuple[float, float, float] = (1.0, 1.0, 1.0),
    orientation: GridOrientation | str = GridOrientation.HFS,
    center_lps: tuple[float, float, float] = (12.0, -18.0, 40.0),
    yaw_deg: float = 0.0,
    pitch_deg: float = 0.0,
    body_semi_axes_mm: tuple[float, float] = (22.0, 16.0),
    body_height_mm: float = 26.0,
    collapse_fraction: float = 0.0,
    cortex_mm: float = 1.5,
    pedicle_min_width_mm: float = 8.0,
    pedicle_height_mm: float = 14.0,
    adjacent: bool = False,
    wall_defect: tuple[float, float, float] | None = None,
    wall_defect_straight: bool = False,
    lesion: tuple[float, float, float, float] | None = None,
    noise_hu: float = 10.0,
    blur_mm: float = 0.4,
    seed: int = 0,
    margin_mm: float = 12.0,
    disc_height_mm: float = 10.0,
    trabecular_hu: float = TRABECULAR_HU,
    cortex_hu: float = CORTEX_HU,
    disc_hu: float = DISC_HU,
) -> VertebraPhantom:
    """Build a vertebra phantom and its truth.

    Parameters
    ----------
    spacing_mm
        Grid spacing ``(slice, row, col)`` in mm, e.g. ``(1.5, 0.7, 0.7)``.
    orientation
        Grid orientation (direction matrix), see :class:`GridOrientation`.
    center_lps
        LPS position (mm) of the vertebral body's centre.
    yaw_deg, pitch_deg
        Rotation of the anatomy about its superior axis and its left-right axis (degrees).
    body_semi_axes_mm
        Body ellipse semi-axes (left-right, antero-posterior), mm.
    body_height_mm
        Body height before collapse, mm.
    collapse_fraction
        Fraction of the height lost (0 = none, 0.4 = 40 % collapse), symmetric about the centre.
    cortex_mm
        Cortical thickness of all bone, mm.
    pedicle_min_width_mm, pedicle_height_mm
        Pedicle width at the isthmus and (constant) craniocaudal height, mm.
    adjacent
        Add the vertebrae above and below (same shape, beyond the discs).
    wall_defect
        ``(x_local_mm, z_local_mm, diameter_mm)``: a soft-tissue plug through the posterior cortex at
        local x (left positive) and z (superior positive), centred on the posterior wall.
    wall_defect_straight
        The defect is a straight-sided round hole along the wall's normal, ``diameter_mm`` wide through the
        whole cortex, instead of a sphere (whose opening narrows to ``2 sqrt(r^2 - cortex_mm^2)`` at
        the cortex's inner face: a 4 mm sphere leaves a 2.6 mm channel through a 1.5 mm cortex).
    lesion
        ``(x, y, z, radius)`` of a lytic sphere in local mm (relative to the body centre).
    noise_hu
        Standard deviation of Gaussian noise (HU), seeded by ``seed``.
    blur_mm
        Gaussian blur sigma (mm) applied before the noise (scanner point spread).
    seed
        Random seed of the noise.
    margin_mm
        Soft tissue around the anatomy's box, mm.
    disc_height_mm
        Height of the discs above and below the body (lumbar about 10 mm, thoracic 4-6 mm).
    trabecular_hu, cortex_hu, disc_hu
        Tissue values (HU); real osteoporotic trabecular bone and a thin cortex on thick slices can
        read within 100 HU of the disc.

    Returns
    -------
    VertebraPhantom
        The volume (int16 HU) and the truth.
    """
    if not 0.0 <= collapse_fraction < 0.8:
        raise ValueError(f'Argument "collapse_fraction" must be in [0, 0.8), got {collapse_fraction}')
    height = body_height_mm * (1.0 - collapse_fraction)
    ped_h = min(pedicle_height_mm, height - 2.0 * cortex_mm - 2.0)
    a, b = body_semi_axes_mm
    g = _Geometry(
        body_a=a,
        body_b=b,
        body_h=height,
        ped_target=(8.0, -4.0),
        ped_entry=(22.0, 42.0),
        ped_min_width=pedicle_min_width_mm,
        ped_height=ped_h,
        ped_k=0.015,
        canal_cy=b + 8.0,
        lamina_in=(13.0, 8.0),
        lamina_out=(20.0, 15.0),
        disc_h=disc_height_mm,
    )
    rot = _rotation(yaw_deg, pitch_deg)
    center = np.asarray(center_lps, dtype=np.float64)
    pitch_z = height + g.disc_h
    n_vert = 1 if adjacent else 0
    z_half = height / 2.0 + g.disc_h + n_vert * pitch_z + 2.0
    local_lo = np.array([-max(a, g.ped_entry[0] + 6.0), -b, -z_half]) - margin_mm
    local_hi = (
        np.array([max(a, g.ped_entry[0] + 6.0), g.canal_cy + g.lamina_out[1] + 30.0, z_half]) + margin_mm
    )
    corners_local = np.array(
        [
            [x, y, z]
            for x in (local_lo[0], local_hi[0])
            for y in (local_lo[1], local_hi[1])
            for z in (local_lo[2], local_hi[2])
        ]
    )
    corners_lps = corners_local @ rot.T + center
    direction = direction_matrix(orientation)
    matrix, shape = _grid_for_box(corners_lps.min(axis=0), corners_lps.max(axis=0), spacing_mm, direction)

    # local coordinates of every voxel centre
    kk, ii, jj = np.meshgrid(*(np.arange(n, dtype=np.float64) for n in shape), indexing="ij")
    idx = np.stack([kk, ii, jj], axis=-1)
    lps = idx @ matrix[:3, :3].T + matrix[:3, 3]
    local = (lps - center) @ rot  # inverse rotation (orthonormal)
    x, y, z = local[..., 0], local[..., 1], local[..., 2]
    del kk, ii, jj, idx, lps, local

    in_ellipse = (x / a) ** 2 + (y / b) ** 2 <= 1.0
    body = in_ellipse & (np.abs(z) <= height / 2.0)
    posterior = _posterior_solid(g, x, y, z)
    bone = body | posterior
    discs = in_ellipse & (np.abs(z) > height / 2.0) & (np.abs(z) <= height / 2.0 + g.disc_h)
    adjacent_centers: list[FloatArray] = []
    if adjacent:
        for sgn in (-1.0, 1.0):
            zz = z - sgn * pitch_z
            adj_body = in_ellipse & (np.abs(zz) <= height / 2.0)
            bone |= adj_body | _posterior_solid(g, x, y, zz)
            discs |= in_ellipse & (np.abs(zz) > height / 2.0) & (np.abs(zz) <= height / 2.0 + g.disc_h)
            adjacent_centers.append(center + rot @ np.array([0.0, 0.0, sgn * pitch_z]))
    discs &= ~bone
    canal = _canal_section(g, x, y) & ~bone & ~discs

    spacing = np.asarray(spacing_mm, dtype=np.float64)
    depth = ndimage.distance_transform_edt(bone, sampling=spacing)
    cortex = bone & (depth <= cortex_mm)

    hu = np.full(shape, SOFT_TISSUE_HU, dtype=np.float64)
    hu[discs] = disc_hu
    hu[canal] = CANAL_HU
    hu[bone] = trabecular_hu
    hu[cortex] = cortex_hu

    defect_center: FloatArray | None = None
    defect_size: float | None = None
    if wall_defect is not None:
        dx_l, dz_l, diam = wall_defect
        wall_y = b * math.sqrt(max(0.0, 1.0 - (dx_l / a) ** 2))
        r2 = (x - dx_l) ** 2 + (y - wall_y) ** 2 + (z - dz_l) ** 2
        plug = (r2 <= (diam / 2.0) ** 2) & body
        if wall_defect_straight:
            # the ellipse's outward normal at the hole; the plug runs half a mm past the cortex's inner face
            n = np.array([dx_l / a**2, wall_y / b**2])
            n /= np.linalg.norm(n)
            along = (x - dx_l) * n[0] + (y - wall_y) * n[1]
            plug = (r2 - along**2 <= (diam / 2.0) ** 2) & (along >= -(cortex_mm + 0.5)) & body
        hu[plug] = SOFT_TISSUE_HU
        defect_center = center + rot @ np.array([dx_l, wall_y, dz_l])
        defect_size = float(diam)

    lesion_mask: BoolArray | None = None
    lesion_center: FloatArray | None = None
    lesion_radius: float | None = None
    if lesion is not None:
        lx, ly, lz, lr = lesion
        lesion_mask = ((x - lx) ** 2 + (y - ly) ** 2 + (z - lz) ** 2 <= lr**2) & body
        hu[lesion_mask] = LESION_HU
        lesion_center = center + rot @ np.array([lx, ly, lz])
        lesion_radius = float(lr)

    if blur_mm > 0.0:
        hu = ndimage.gaussian_filter(hu, sigma=blur_mm / spacing, mode="nearest")
    if noise_hu > 0.0:
        hu += np.random.default_rng(seed).normal(0.0, noise_hu, size=shape)
    array = np.clip(np.rint(hu), -1024, 3071).astype(np.int16)
    volume = Volume(array, matrix)

    body_cortex = body & cortex
    wall_zone = ndimage.distance_transform_edt(~canal, sampling=spacing) <= 2.0
    posterior_wall = body_cortex & wall_zone

    pedicles: dict[Side, PedicleTruth] = {}
    for side, sgn in ((Side.LEFT, 1.0), (Side.RIGHT, -1.0)):
        t_loc = np.array([sgn * g.ped_target[0], g.ped_target[1], 0.0])
        e_loc = np.array([sgn * g.ped_entry[0], g.ped_entry[1], 0.0])
        s_i = g.isthmus_s
        isth_loc = t_loc + (e_loc - t_loc) / np.linalg.norm(e_loc - t_loc) * s_i
        mask = _pedicle_solid(g, sgn, x, y, z) & ~body
        pedicles[side] = PedicleTruth(
            side=side,
            entry_lps=center + rot @ e_loc,
            target_lps=center + rot @ t_loc,
            min_width_mm=pedicle_min_width_mm,
            height_mm=ped_h,
            isthmus_lps=center + rot @ isth_loc,
            mask=mask,
        )

    # canal cross-section at mid-height, sampled finely in the local axial plane
    step = 0.05
    gx, gy = np.meshgrid(
        np.arange(-a, a, step) + step / 2,
        np.arange(0.0, g.canal_cy + g.lamina_in[1], step) + step / 2,
        indexing="ij",
    )
    gz = np.zeros_like(gx)
    sec = _canal_section(g, gx, gy) & ~_posterior_solid(g, gx, gy, gz)
    canal_area = float(sec.sum() * step * step)
    canal_c_local = np.array([gx[sec].mean(), gy[sec].mean(), 0.0])

    return VertebraPhantom(
        volume=volume,
        center_lps=center,
        local_to_lps_rotation=rot,
        body_mask=body,
        body_cortex_mask=body_cortex,
        canal_mask=canal,
        posterior_wall_mask=posterior_wall,
        pedicles=pedicles,
        body_height_mm=height,
        body_semi_axes_mm=(a, b),
        body_volume_ml=math.pi * a * b * height / 1000.0,
        canal_centroid_lps=center + rot @ canal_c_local,
        canal_area_mm2=canal_area,
        superior_endplate_center_lps=center + rot @ np.array([0.0, 0.0, height / 2.0]),
        inferior_endplate_center_lps=center + rot @ np.array([0.0, 0.0, -height / 2.0]),
        wall_defect_center_lps=defect_center,
        wall_defect_size_mm=defect_size,
        lesion_center_lps=lesion_center,
        lesion_radius_mm=lesion_radius,
        lesion_mask=lesion_mask,
        adjacent_centers_lps=tuple(adjacent_centers),
    )


def embed_in_large_volume(
    phantom: VertebraPhantom, shape: tuple[int, int, int] = (400, 512, 512), fill_hu: int = -1000
) -> tuple[Volume, tuple[int, int, int]]:
    """Place the phantom's array in the middle of a large volume of the same spacing and direction.

    Returns the large volume and the index of the phantom's first voxel in it (LPS positions of the
    phantom's voxels are preserved).
    """
    small = phantom.volume
    big = np.full(shape, fill_hu, dtype=np.int16)
    off = tuple(max(0, (n - m) // 2) for n, m in zip(shape, small.shape, strict=True))
    sl = tuple(slice(o, o + m) for o, m in zip(off, small.shape, strict=True))
    big[sl] = small.array
    matrix = small.index_to_lps.copy()
    matrix[:3, 3] = small.index_to_lps_points(-np.asarray(off, dtype=np.float64))
    return Volume(big, matrix), (off[0], off[1], off[2])
