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
so pedicles and lamina have a cortex too and there is none where the pedicle joins the body. The shapes
are :mod:`tests.phantoms.vertebra_shapes`', the grids (orientations, placing in a large volume)
:mod:`tests.phantoms.vertebra_grid`'s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.vertebra_model import Side
from imaging.volume import Volume
from tests.phantoms.vertebra_grid import GridOrientation, direction_matrix, grid_for_box
from tests.phantoms.vertebra_shapes import Geometry, canal_section, pedicle_solid, posterior_solid, rotation

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

SOFT_TISSUE_HU = 40.0
CORTEX_HU = 1000.0
TRABECULAR_HU = 200.0
CANAL_HU = 10.0
DISC_HU = 80.0
LESION_HU = 30.0


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
    g = Geometry(
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
    rot = rotation(yaw_deg, pitch_deg)
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
    matrix, shape = grid_for_box(corners_lps.min(axis=0), corners_lps.max(axis=0), spacing_mm, direction)

    # local coordinates of every voxel centre
    kk, ii, jj = np.meshgrid(*(np.arange(n, dtype=np.float64) for n in shape), indexing="ij")
    idx = np.stack([kk, ii, jj], axis=-1)
    lps = idx @ matrix[:3, :3].T + matrix[:3, 3]
    local = (lps - center) @ rot  # inverse rotation (orthonormal)
    x, y, z = local[..., 0], local[..., 1], local[..., 2]
    del kk, ii, jj, idx, lps, local

    in_ellipse = (x / a) ** 2 + (y / b) ** 2 <= 1.0
    body = in_ellipse & (np.abs(z) <= height / 2.0)
    posterior = posterior_solid(g, x, y, z)
    bone = body | posterior
    discs = in_ellipse & (np.abs(z) > height / 2.0) & (np.abs(z) <= height / 2.0 + g.disc_h)
    adjacent_centers: list[FloatArray] = []
    if adjacent:
        for sgn in (-1.0, 1.0):
            zz = z - sgn * pitch_z
            adj_body = in_ellipse & (np.abs(zz) <= height / 2.0)
            bone |= adj_body | posterior_solid(g, x, y, zz)
            discs |= in_ellipse & (np.abs(zz) > height / 2.0) & (np.abs(zz) <= height / 2.0 + g.disc_h)
            adjacent_centers.append(center + rot @ np.array([0.0, 0.0, sgn * pitch_z]))
    discs &= ~bone
    canal = canal_section(g, x, y) & ~bone & ~discs

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
        mask = pedicle_solid(g, sgn, x, y, z) & ~body
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
    sec = canal_section(g, gx, gy) & ~posterior_solid(g, gx, gy, gz)
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
