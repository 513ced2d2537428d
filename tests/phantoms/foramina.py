"""A seeded three-vertebra spine phantom whose neural foramina are known by construction.

Frames and units as in :mod:`tests.phantoms.vertebra`: LPS mm (+x patient left, +y posterior, +z
superior), HU, mL; the anatomy is built in a local frame (origin at the middle body's centre, +x
left, +y posterior, +z superior) rotated by ``yaw_deg``/``pitch_deg`` and placed at ``center_lps``.

Three copies of the vertebra of :mod:`tests.phantoms.vertebra` (body, hourglass pedicles, lamina,
spinous process) are stacked one pitch (body height + disc height) apart, with discs between them,
and an *articular pillar* on each side: a bony column (local ``|x|`` 12.5-24 mm, ``y`` 28-36 mm)
running the whole height, standing for the superior and inferior articular processes and the facet
joints between them. So between two consecutive pedicles each side has a closed opening, the neural
foramen: above and below, the pedicles; in front, the bodies and the disc; behind, the pillar;
medially the canal; laterally open.

The *constructed foramen* (the truth) of a side and level (``"upper"``: between the middle pedicle
and the one above; ``"lower"``: the one below) is the soft tissue (not bone, disc or canal) with

- lateral coordinate between the pedicle's medial and lateral surfaces at the isthmus (measured
  along x in the axial plane through the isthmus);
- z between the middle pedicle's top (bottom) and the next pedicle's bottom (top);
- y behind the bodies' elliptic outline and in front of the pillar.

:meth:`ForaminaPhantom.foramen_contains` evaluates that definition at any local points (for fine
sampling of distances and bands); :attr:`ForaminaPhantom.foramina` holds it on the volume's grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.vertebra_model import Side
from imaging.volume import Volume
from tests.phantoms.vertebra import (
    CANAL_HU,
    CORTEX_HU,
    DISC_HU,
    SOFT_TISSUE_HU,
    TRABECULAR_HU,
    PedicleTruth,
)
from tests.phantoms.vertebra_grid import GridOrientation, direction_matrix, grid_for_box
from tests.phantoms.vertebra_shapes import Geometry, canal_section, pedicle_solid, posterior_solid, rotation

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: the articular pillar: lateral coordinate and posterior coordinate ranges (local mm); its front
#: (y = 28 mm) lies 4 mm behind the canal centre's y (24 mm) and in front of the pedicle's entry
PILLAR_LAT_MM = (12.5, 24.0)
PILLAR_Y_MM = (28.0, 36.0)
LEVELS = ("upper", "lower")


@dataclass(frozen=True, eq=False)
class ForaminaPhantom:
    """The volume, the middle vertebra's truth and the four constructed foramina (full-grid masks)."""

    volume: Volume
    center_lps: FloatArray
    local_to_lps_rotation: FloatArray
    geometry: Geometry
    pitch_mm: float
    body_mask: BoolArray  # the middle body
    canal_mask: BoolArray
    bone_mask: BoolArray  # every bone (three vertebrae and the pillars)
    pedicles: dict[Side, PedicleTruth]  # the middle vertebra's
    foramina: dict[tuple[Side, str], BoolArray]
    body_height_mm: float
    body_semi_axes_mm: tuple[float, float]

    def to_lps(self, local_mm: npt.ArrayLike) -> FloatArray:
        """Local anatomical coordinates (mm) to LPS."""
        out: FloatArray = (
            np.asarray(local_mm, dtype=np.float64) @ self.local_to_lps_rotation.T + self.center_lps
        )
        return out

    def to_local(self, lps: npt.ArrayLike) -> FloatArray:
        """LPS points to local anatomical coordinates (mm)."""
        out: FloatArray = (np.asarray(lps, dtype=np.float64) - self.center_lps) @ self.local_to_lps_rotation
        return out

    def foramen_bounds(self, side: Side, level: str) -> dict[str, tuple[float, float]]:
        """The constructed foramen's ranges: ``lat`` (sign * x), ``z`` (local mm)."""
        g = self.geometry
        tx, ty = g.ped_target
        ex, ey = g.ped_entry
        axis_x = tx + (ex - tx) * (g.canal_cy - ty) / (ey - ty)
        cos_t = (ey - ty) / math.hypot(ex - tx, ey - ty)
        half = 0.5 * g.ped_min_width / cos_t
        h = 0.5 * g.ped_height
        z = (h, self.pitch_mm - h) if level == "upper" else (-self.pitch_mm + h, -h)
        return {"lat": (axis_x - half, axis_x + half), "z": z}

    def foramen_contains(
        self,
        local: npt.ArrayLike,
        side: Side,
        level: str,
        *,
        soft: BoolArray | None = None,
        lat_mm: tuple[float, float] | None = None,
    ) -> BoolArray:
        """The constructed foramen's definition evaluated at local points ``(..., 3)``.

        ``soft`` (not bone and not canal at those points) may be given when already known; ``lat_mm``
        replaces the constructed lateral range (``sign * x``) by other borders.
        """
        p = np.asarray(local, dtype=np.float64)
        x, y, z = p[..., 0], p[..., 1], p[..., 2]
        if soft is None:
            soft = ~_bone(self.geometry, x, y, z, self.pitch_mm) & ~canal_section(self.geometry, x, y)
        b = self.foramen_bounds(side, level)
        if lat_mm is not None:
            b = {**b, "lat": lat_mm}
        sign = 1.0 if side is Side.LEFT else -1.0
        lat = sign * x
        g = self.geometry
        outside_bodies = (x / g.body_a) ** 2 + (y / g.body_b) ** 2 > 1.0
        out: BoolArray = (
            (lat >= b["lat"][0])
            & (lat <= b["lat"][1])
            & (z > b["z"][0])
            & (z < b["z"][1])
            & (y > 0.0)
            & (y < PILLAR_Y_MM[0])
            & outside_bodies
            & soft
        )
        return out


def _pillars(x: FloatArray, y: FloatArray) -> BoolArray:
    lat = np.abs(x)
    out: BoolArray = (
        (lat >= PILLAR_LAT_MM[0]) & (lat <= PILLAR_LAT_MM[1]) & (y >= PILLAR_Y_MM[0]) & (y <= PILLAR_Y_MM[1])
    )
    return out


def _bone(g: Geometry, x: FloatArray, y: FloatArray, z: FloatArray, pitch: float) -> BoolArray:
    """Bodies, posterior elements of the three vertebrae and the pillars (local coordinates)."""
    in_ellipse = (x / g.body_a) ** 2 + (y / g.body_b) ** 2 <= 1.0
    out = _pillars(x, y)
    for k in (-1.0, 0.0, 1.0):
        zz = z - k * pitch
        out = out | (in_ellipse & (np.abs(zz) <= g.body_h / 2.0)) | posterior_solid(g, x, y, zz)
    return out


def make_foramina_phantom(
    *,
    spacing_mm: tuple[float, float, float] = (1.0, 1.0, 1.0),
    orientation: GridOrientation | str = GridOrientation.HFS,
    center_lps: tuple[float, float, float] = (12.0, -18.0, 40.0),
    yaw_deg: float = 0.0,
    pitch_deg: float = 0.0,
    body_height_mm: float = 26.0,
    disc_height_mm: float = 10.0,
    pedicle_height_mm: float = 14.0,
    cortex_mm: float = 1.5,
    noise_hu: float = 10.0,
    blur_mm: float = 0.4,
    seed: int = 0,
    margin_mm: float = 12.0,
) -> ForaminaPhantom:
    """Build the three-vertebra phantom (sizes of :func:`tests.phantoms.vertebra.make_vertebra_phantom`).

    Parameters
    ----------
    spacing_mm, orientation, center_lps, yaw_deg, pitch_deg
        Grid and placement, as for the vertebra phantom.
    body_height_mm, disc_height_mm, pedicle_height_mm, cortex_mm
        Sizes (mm); the pitch between vertebrae is body + disc height.
    noise_hu, blur_mm, seed
        Gaussian noise (HU, seeded) and blur (mm).
    margin_mm
        Soft tissue around the anatomy's box (mm).
    """
    a, b = 22.0, 16.0
    g = Geometry(
        body_a=a,
        body_b=b,
        body_h=body_height_mm,
        ped_target=(8.0, -4.0),
        ped_entry=(22.0, 42.0),
        ped_min_width=8.0,
        ped_height=min(pedicle_height_mm, body_height_mm - 2.0 * cortex_mm - 2.0),
        ped_k=0.015,
        canal_cy=b + 8.0,
        lamina_in=(13.0, 8.0),
        lamina_out=(20.0, 15.0),
        disc_h=disc_height_mm,
    )
    pitch = body_height_mm + disc_height_mm
    rot = rotation(yaw_deg, pitch_deg)
    center = np.asarray(center_lps, dtype=np.float64)
    z_half = 1.5 * pitch + 2.0
    local_lo = np.array([-(g.ped_entry[0] + 6.0), -b, -z_half]) - margin_mm
    local_hi = np.array([g.ped_entry[0] + 6.0, g.canal_cy + g.lamina_out[1] + 30.0, z_half]) + margin_mm
    corners = np.array([[x, y, z] for x in (local_lo[0], local_hi[0]) for y in (local_lo[1], local_hi[1])
                        for z in (local_lo[2], local_hi[2])])  # fmt: skip
    corners_lps = corners @ rot.T + center
    matrix, shape = grid_for_box(
        corners_lps.min(axis=0), corners_lps.max(axis=0), spacing_mm, direction_matrix(orientation)
    )
    idx = np.stack(np.meshgrid(*(np.arange(n, dtype=np.float64) for n in shape), indexing="ij"), axis=-1)
    local = (idx @ matrix[:3, :3].T + matrix[:3, 3] - center) @ rot
    x, y, z = local[..., 0], local[..., 1], local[..., 2]

    in_ellipse = (x / a) ** 2 + (y / b) ** 2 <= 1.0
    bone = _bone(g, x, y, z, pitch)
    discs = in_ellipse & ~bone & (np.abs(z) <= 1.5 * pitch)
    canal = canal_section(g, x, y) & ~bone & ~discs
    spacing = np.asarray(spacing_mm, dtype=np.float64)
    cortex = bone & (ndimage.distance_transform_edt(bone, sampling=spacing) <= cortex_mm)
    hu = np.full(shape, SOFT_TISSUE_HU, dtype=np.float64)
    hu[discs] = DISC_HU
    hu[canal] = CANAL_HU
    hu[bone] = TRABECULAR_HU
    hu[cortex] = CORTEX_HU
    if blur_mm > 0.0:
        hu = ndimage.gaussian_filter(hu, sigma=blur_mm / spacing, mode="nearest")
    if noise_hu > 0.0:
        hu += np.random.default_rng(seed).normal(0.0, noise_hu, size=shape)
    volume = Volume(np.clip(np.rint(hu), -1024, 3071).astype(np.int16), matrix)

    body = in_ellipse & (np.abs(z) <= body_height_mm / 2.0)
    pedicles: dict[Side, PedicleTruth] = {}
    for side, sgn in ((Side.LEFT, 1.0), (Side.RIGHT, -1.0)):
        t_loc = np.array([sgn * g.ped_target[0], g.ped_target[1], 0.0])
        e_loc = np.array([sgn * g.ped_entry[0], g.ped_entry[1], 0.0])
        isth = t_loc + (e_loc - t_loc) / np.linalg.norm(e_loc - t_loc) * g.isthmus_s
        pedicles[side] = PedicleTruth(
            side=side,
            entry_lps=center + rot @ e_loc,
            target_lps=center + rot @ t_loc,
            min_width_mm=g.ped_min_width,
            height_mm=g.ped_height,
            isthmus_lps=center + rot @ isth,
            mask=pedicle_solid(g, sgn, x, y, z) & ~body,
        )
    phantom = ForaminaPhantom(
        volume=volume,
        center_lps=center,
        local_to_lps_rotation=rot,
        geometry=g,
        pitch_mm=pitch,
        body_mask=body,
        canal_mask=canal,
        bone_mask=bone,
        pedicles=pedicles,
        foramina={},
        body_height_mm=body_height_mm,
        body_semi_axes_mm=(a, b),
    )
    for side in (Side.LEFT, Side.RIGHT):
        for level in LEVELS:
            phantom.foramina[(side, level)] = phantom.foramen_contains(
                local, side, level, soft=~bone & ~canal_section(g, x, y)
            )
    return phantom
