"""Study helper (not run in CI): an end plate reference plane from a labelled vertebral body, along the
body's own axis.

Session 26's reference ("z model plane", :func:`tests.benchmarks.endplate_click_spread.model_plane_tilts`)
fitted the top and bottom ends of vertical (z) columns of the label. Where the body leans (abdomen L5, about
25 degrees) many of those columns end on the body's front or back face, not on the end plate, and the plane
came out too flat (L5 inferior: -11 deg against about -32 read by eye on the CT's midline section).

Here the label's surface itself is used:

1. the body's mask is smoothed with a Gaussian of sigma = the label's largest voxel spacing (mm, the same in
   every direction), so the 3 mm slice staircase of the abdomen's labels becomes a ramp along the mean
   surface (a flat surface stays where it was under an isotropic blur); the surface is the smoothed mask's
   0.5 level (marching cubes), with each vertex's outward normal from the smoothed mask's gradient;
2. the end plates are the surface's points whose outward normal lies within :data:`PLATE_NORMAL_DEG` of the
   body's axis (superior) or of its opposite (inferior), on that end's half of the body, within
   :data:`CORE_FRACTION` of their largest distance from the body's axis (the plate's middle, not the rim
   curving into the body's sides: the rule of imaging.endplate_edge's columns);
3. each plate's plane is the least-squares plane through its points (the direction of least spread), with
   points further than 3 robust standard deviations from it left out twice (the usual outlier rule);
4. the body's axis starts as the scan's z axis and is then the mean of the two plates' outward normals
   (superior minus inferior, as the anatomy search defines it), and steps 2-4 are repeated until the axis
   moves by less than 0.1 degree (at most 10 rounds).

Tilts are said as in imaging.endplate_plane: sagittal positive when the plane rises anteriorly, coronal
positive when it rises to the patient's left (degrees). The labels themselves are approximate (the abdomen's
are model-made on 3 mm slices; the lumbar crop's are VerSe-style manual labels at 1.5 mm): a reference, not
a ground truth. Positions LPS mm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage
from skimage import measure

from imaging.volume import Volume

FloatArray = npt.NDArray[np.float64]

#: a surface point belongs to an end plate when its outward normal is within this of the body's axis
#: (degrees): the plates' own tilts against the axis are half the body's wedge (up to about 10 degrees for
#: lumbar bodies), and the body's front and back faces lie near 90 degrees from it
PLATE_NORMAL_DEG = 30.0
#: the plate's middle: points within this fraction of the largest distance of a plate point from the axis
CORE_FRACTION = 0.7
OUTLIER_SDS = 3.0
ROBUST_SD_PER_MAD = 1.4826
AXIS_TOLERANCE_DEG = 0.1
MAX_ROUNDS = 10
#: fewer facing points than this on one end: the plate is not on the label (cut by the scan's edge)
MIN_POINTS = 20


@dataclass(frozen=True)
class ReferencePlate:
    """One end plate's reference plane: centre (LPS mm), outward unit normal, tilts (degrees), points used."""

    centre: FloatArray
    normal: FloatArray
    sagittal_deg: float
    coronal_deg: float
    points: int


def tilts_of(normal: FloatArray) -> tuple[float, float]:
    """Sagittal and coronal tilts (degrees) of a plane with this normal (imaging.endplate_plane's sense)."""
    up = normal if normal[2] >= 0 else -normal
    return math.degrees(math.atan2(up[1], up[2])), math.degrees(math.atan2(-up[0], up[2]))


def label_surface(volume: Volume, body: npt.NDArray[np.bool_]) -> tuple[FloatArray, FloatArray]:
    """The smoothed label's surface points (LPS mm) and their outward unit normals (LPS)."""
    idx = np.argwhere(body)
    if len(idx) == 0:
        raise ValueError("the label is empty")
    spacing = np.asarray(volume.spacing_mm, dtype=np.float64)  # array order, as index_to_lps_points takes
    sigma_mm = float(spacing.max())
    pad = np.ceil(4.0 * sigma_mm / spacing).astype(int) + 1
    lo = np.maximum(idx.min(axis=0) - pad, 0)
    hi = np.minimum(idx.max(axis=0) + pad + 1, body.shape)
    crop = body[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]].astype(np.float64)
    smooth = ndimage.gaussian_filter(crop, sigma_mm / spacing, mode="constant")
    verts, _, _, _ = measure.marching_cubes(smooth, level=0.5)
    grads = np.stack(
        [ndimage.map_coordinates(g, verts.T, order=1) for g in np.gradient(smooth)], axis=1
    )  # d(mask)/d(index), array order
    # the gradient is a covector: in LPS it is J^-T g with J = d(lps)/d(index)
    origin = volume.index_to_lps_points(np.zeros((1, 3)))[0]
    jac = (volume.index_to_lps_points(np.eye(3)) - origin).T  # columns: LPS step per index step
    outward = -(np.linalg.inv(jac).T @ grads.T).T
    outward /= np.linalg.norm(outward, axis=1, keepdims=True)
    pts = volume.index_to_lps_points(verts + lo)
    return pts, outward


def _plane(points: FloatArray) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    keep = np.ones(len(points), dtype=bool)
    for _ in range(3):
        c = points[keep].mean(axis=0)
        _, _, vt = np.linalg.svd(points[keep] - c, full_matrices=False)
        n = vt[2]
        d = (points - c) @ n
        mad = float(np.median(np.abs(d[keep] - np.median(d[keep]))))
        new = np.abs(d) <= max(OUTLIER_SDS * ROBUST_SD_PER_MAD * mad, 1e-6)
        if np.array_equal(new, keep) or new.sum() < 10:
            break
        keep = new
    c = points[keep].mean(axis=0)
    _, _, vt = np.linalg.svd(points[keep] - c, full_matrices=False)
    return c, vt[2], keep


def reference_plates(
    volume: Volume,
    body: npt.NDArray[np.bool_],
    *,
    cone_deg: float = PLATE_NORMAL_DEG,
    core_fraction: float = CORE_FRACTION,
) -> dict[str, ReferencePlate | FloatArray]:
    """``{"sup": ReferencePlate, "inf": ReferencePlate, "axis": axis}`` for a labelled body (see the module);
    a plate cut off by the scan's edge is left out (the axis is then the other plate's normal). ``cone_deg``
    and ``core_fraction`` replace :data:`PLATE_NORMAL_DEG` and :data:`CORE_FRACTION` (to see how far the
    reference moves with its own choices)."""
    pts, normals = label_surface(volume, body)
    centre = volume.index_to_lps_points(np.argwhere(body).mean(axis=0, keepdims=True))[0]
    axis = np.array([0.0, 0.0, 1.0])
    cos_limit = math.cos(math.radians(cone_deg))
    plates: dict[str, ReferencePlate] = {}
    for _ in range(MAX_ROUNDS):
        plates = {}
        rel = pts - centre
        along = rel @ axis
        radial = np.linalg.norm(rel - along[:, None] * axis, axis=1)
        facing = normals @ axis
        outs: dict[str, FloatArray] = {}
        for name, sign in (("sup", 1.0), ("inf", -1.0)):
            on = (sign * facing >= cos_limit) & (sign * along > 0)
            if on.sum() < MIN_POINTS:
                continue  # cut by the scan's edge (abdomen T12's top): no plate
            core = on & (radial <= core_fraction * float(radial[on].max()))
            if core.sum() < MIN_POINTS:
                continue
            c, n, keep = _plane(pts[core])
            n = n if n @ (sign * axis) > 0 else -n
            sag, cor = tilts_of(n)
            plates[name] = ReferencePlate(c, n, sag, cor, int(keep.sum()))
            outs[name] = n
        if not outs:
            raise ValueError("no end plate on the label")
        new_axis = outs.get("sup", np.zeros(3)) - outs.get("inf", np.zeros(3))
        new_axis /= np.linalg.norm(new_axis)
        moved = math.degrees(math.acos(float(np.clip(new_axis @ axis, -1.0, 1.0))))
        axis = new_axis
        if moved < AXIS_TOLERANCE_DEG:
            break
    return {**plates, "axis": axis}


def reference_tilts(
    volume: Volume,
    body: npt.NDArray[np.bool_],
    *,
    cone_deg: float = PLATE_NORMAL_DEG,
    core_fraction: float = CORE_FRACTION,
) -> dict[str, tuple[float, float]]:
    """``{"sup": (sagittal, coronal), "inf": (...)}`` degrees, as the benchmark's model planes are kept."""
    ref = reference_plates(volume, body, cone_deg=cone_deg, core_fraction=core_fraction)
    out: dict[str, tuple[float, float]] = {}
    for name in ("sup", "inf"):
        plate = ref.get(name)
        if not isinstance(plate, ReferencePlate):
            continue
        out[name] = (round(plate.sagittal_deg, 1), round(plate.coronal_deg, 1))
    return out
