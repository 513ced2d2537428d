"""A seeded synthetic thoracolumbar spine with ribs, a sacrum and iliac bones (level suggestions).

Positions are DICOM LPS mm (+x patient left, +y posterior, +z superior); values HU. The grid is
head-first supine LPS (col +x, row +y, slice +z) at ``spacing_mm``.

Construction (all sizes in mm): vertebrae are stacked along z, ``PITCH_MM`` apart (a 24 mm body and an
8 mm disc), the first (``levels[0]``) at z = 0, each with an elliptic body (semi-axes 20 x 15), pedicles,
lamina, a spinous process and transverse processes (lumbar: reaching 45 mm from the midline; thoracic:
32 mm). Vertebrae whose level is in ``rib_levels`` carry a rib on each side: a 4 mm-radius tube whose
head lies 3 mm from the body (costovertebral joint) at the pedicles' level, touching the transverse
process's tip (costotransverse joint), then running laterally to 115 mm and round towards the front
while descending 55 mm (the lower ribs slope down), so it passes beside the vertebrae below it without
touching them. Below the last vertebra lies the sacrum (``SACRUM_GAP_MM`` lower): an S1 body with alae
reaching 55 mm from the midline, and an ilium on each side across a 3 mm sacroiliac joint, with an
oblique iliac wing rising to 55 mm above the S1 centre (beside L5, 13 mm from its transverse process).
Trabecular bone 200 HU, cortex (outer 2 mm) 900 HU, soft tissue 40 HU; Gaussian blur and noise.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.volume import Volume, affine_from_geometry

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

PITCH_MM = 32.0
SACRUM_GAP_MM = 36.0
BODY_SEMI_AXES_MM = (20.0, 15.0)
BODY_HEIGHT_MM = 24.0
RIB_RADIUS_MM = 4.0
#: rib centreline relative to its vertebra's centre, for the left side (x mirrored for the right)
RIB_PATH_MM = ((24.0, 8.0, 0.0), (36.0, 28.0, -3.0), (70.0, 30.0, -15.0), (100.0, 10.0, -30.0),
               (115.0, -30.0, -45.0), (110.0, -70.0, -55.0))  # fmt: skip
SI_JOINT_MM = 3.0
ALA_HALF_WIDTH_MM = 55.0


@dataclass(frozen=True)
class RibSpinePhantom:
    """The volume and where each vertebra (and the sacrum) was built."""

    volume: Volume
    levels: tuple[str, ...]  # superior first, the sacrum last ("S1")
    centers_lps: FloatArray  # (N, 3) body centres, same order
    rib_levels: frozenset[str]

    def center(self, level: str) -> FloatArray:
        out: FloatArray = self.centers_lps[self.levels.index(level)]
        return out


def make_rib_spine_phantom(
    *,
    levels: tuple[str, ...] = ("T11", "T12", "L1", "L2", "L3", "L4", "L5"),
    rib_levels: frozenset[str] | set[str] = frozenset({"T11", "T12"}),
    spacing_mm: float = 2.0,
    noise_hu: float = 15.0,
    blur_mm: float = 0.8,
    seed: int = 0,
) -> RibSpinePhantom:
    """Build the spine phantom (see the module docstring); the sacrum is added below ``levels``."""
    n = len(levels)
    z_centres = [-PITCH_MM * i for i in range(n)]
    z_s1 = z_centres[-1] - SACRUM_GAP_MM
    lo = np.array([-140.0, -90.0, z_s1 - 50.0])
    hi = np.array([140.0, 80.0, 40.0])
    shape = tuple(int(v) for v in np.ceil((hi - lo) / spacing_mm)[::-1] + 1)  # (z, y, x) = slice, row, col
    matrix = affine_from_geometry(tuple(lo), (spacing_mm,) * 3, np.eye(3))
    zz, yy, xx = (lo[::-1][i] + spacing_mm * np.arange(shape[i]) for i in range(3))
    z = zz[:, None, None]
    y = yy[None, :, None]
    x = xx[None, None, :]
    ax = np.abs(x)
    bone = np.zeros(shape, dtype=bool)
    a, b = BODY_SEMI_AXES_MM
    for level, zc in zip(levels, z_centres, strict=True):
        dz = np.abs(z - zc)
        bone |= ((x / a) ** 2 + (y / b) ** 2 <= 1.0) & (dz <= BODY_HEIGHT_MM / 2)
        bone |= (ax >= 8) & (ax <= 16) & (y >= 10) & (y <= 28) & (dz <= 6)  # pedicles
        bone |= (ax <= 16) & (y >= 28) & (y <= 34) & (dz <= 8)  # lamina
        bone |= (ax <= 3) & (y >= 34) & (y <= 60) & (dz <= 8)  # spinous process
        tp_reach = 32.0 if level.startswith("T") else 45.0
        bone |= (ax >= 14) & (ax <= tp_reach) & (y >= 22) & (y <= 30) & (dz <= 5)  # transverse processes
        if level in rib_levels:
            for sign in (1.0, -1.0):
                path = np.array(RIB_PATH_MM) * np.array([sign, 1.0, 1.0]) + np.array([0.0, 0.0, zc])
                bone |= _tube(path, RIB_RADIUS_MM, xx, yy, zz)
    # sacrum: S1 body and alae; ilia across the sacroiliac joints, with oblique wings
    dz = z - z_s1
    bone |= ((x / 25.0) ** 2 + (y / 18.0) ** 2 <= 1.0) & (np.abs(dz) <= 15)
    bone |= (ax <= ALA_HALF_WIDTH_MM) & (y >= -5) & (y <= 30) & (np.abs(dz) <= 15)
    ilium_in = ALA_HALF_WIDTH_MM + SI_JOINT_MM
    bone |= (ax >= ilium_in) & (ax <= ilium_in + 17) & (y >= -5) & (y <= 40) & (dz >= -40) & (dz <= 35)
    # wing: a 10 mm plate from (ilium_in, 35) running anterolaterally to (130, -35), up to the crest
    d = np.array([130.0 - ilium_in, -70.0])
    d /= np.linalg.norm(d)
    along = (ax - ilium_in) * d[0] + (y - 35.0) * d[1]
    across = -(ax - ilium_in) * d[1] + (y - 35.0) * d[0]
    bone |= (np.abs(across) <= 5) & (along >= 0) & (along <= 99) & (dz >= -20) & (dz <= 55)

    depth = ndimage.distance_transform_edt(bone, sampling=spacing_mm)
    hu = np.full(shape, 40.0)
    hu[bone] = 200.0
    hu[bone & (depth <= 2.0)] = 900.0
    if blur_mm > 0:
        hu = ndimage.gaussian_filter(hu, blur_mm / spacing_mm)
    if noise_hu > 0:
        hu += np.random.default_rng(seed).normal(0.0, noise_hu, size=shape)
    volume = Volume(np.clip(np.rint(hu), -1024, 3071).astype(np.int16), matrix)
    centres = np.array([[0.0, 0.0, zc] for zc in [*z_centres, z_s1]])
    return RibSpinePhantom(volume, (*levels, "S1"), centres, frozenset(rib_levels))


def _tube(path: FloatArray, radius: float, xx: FloatArray, yy: FloatArray, zz: FloatArray) -> BoolArray:
    """Voxels within ``radius`` of a polyline (LPS mm), on the grid with axes ``zz, yy, xx``."""
    out = np.zeros((len(zz), len(yy), len(xx)), dtype=bool)
    for p, q in itertools.pairwise(path):
        lo = np.minimum(p, q) - radius - 1
        hi = np.maximum(p, q) + radius + 1
        ix = np.nonzero((xx >= lo[0]) & (xx <= hi[0]))[0]
        iy = np.nonzero((yy >= lo[1]) & (yy <= hi[1]))[0]
        iz = np.nonzero((zz >= lo[2]) & (zz <= hi[2]))[0]
        if not (len(ix) and len(iy) and len(iz)):
            continue
        pts = np.stack(np.meshgrid(zz[iz], yy[iy], xx[ix], indexing="ij"), axis=-1)[..., ::-1]
        seg = q - p
        t = np.clip(((pts - p) @ seg) / float(seg @ seg), 0.0, 1.0)
        dist = np.linalg.norm(pts - (p + t[..., None] * seg), axis=-1)
        out[np.ix_(iz, iy, ix)] |= dist <= radius
    return out
