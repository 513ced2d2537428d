"""Where the access needle's tip goes on a direct (extraspinal) route: so that the predicted ablation
zone is centred on the lesion, with the antenna tip kept inside the bone.

The zone's centre lies ``center_behind_tip_mm`` behind the antenna tip, and the antenna tip lies
``antenna_extension_mm`` beyond the needle tip (:mod:`planning.ablation`, :mod:`planning.model_trajectory`).
So for the zone centre to sit on the lesion's centroid, at distance ``d`` from the entry along the route,
the needle tip goes to ``d - antenna_extension_mm + center_behind_tip_mm``.

The antenna tip must stay inside the bone (the bone mask of :func:`imaging.bone.bone_mask` around the
lesion, plus the lesion itself: a lytic lesion is a hole in the bone that the bone mask may leave open),
as the spine proposals keep it inside the vertebral body (:mod:`planning.body_target`): an antenna tip
through the far cortex heats the soft tissue, vessels or pelvic organs beyond. When the centred
position would put it outside, the needle is drawn back along the route to the position, with the antenna
tip inside the bone, whose zone covers most of the lesion; when no such position reaches the lesion the
zone stays centred and a warning says so.

Frames and units: LPS mm (+x patient left, +y posterior, +z superior); distances along the route are mm
from its entry; masks on the volume's ``[slice, row, col]`` grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from imaging.mask import Mask
from imaging.volume import Volume
from planning.grid_sampling import SAMPLE_STEP_FRACTION, mask_at_points
from planning.zone_model import ZoneModel

FloatArray = npt.NDArray[np.float64]

#: The antenna tip is kept at least this far short of where the route leaves the bone (mm): one voxel at
#: the usual 0.7-1 mm spacing, so the tip does not sit on the cortex's outer face. A planning choice,
#: stated here (CLINICAL.md gives no figure; thin walls such as the acetabulum's leave little room for
#: the 3 mm the spine proposals keep, :data:`planning.body_target.MIN_TIP_DEPTH_MM`).
ANTENNA_TIP_BONE_CLEARANCE_MM = 1.0
#: The needle tip lies at least this far in from the skin entry (mm): a shorter needle is no route.
MIN_NEEDLE_DEPTH_MM = 5.0
#: A drawn-back position is taken only when its zone covers at least this share of the lesion more than
#: nothing: positions whose zone misses the lesion are not a placement (fraction of the lesion's voxels).
MIN_USEFUL_COVERAGE = 0.01


@dataclass(frozen=True)
class DirectTip:
    """The needle tip on a direct route, and what was done to place it.

    ``tip_mm`` is the needle tip's distance from the entry along the route; ``centre_short_mm`` how far the
    zone centre lies short of the lesion's centroid (0 when centred); ``covered_fraction`` the share of
    the lesion's voxels inside the predicted zone; ``antenna_in_bone`` False when the antenna tip lies
    outside the bone (None when no bone was found to check against).
    """

    tip_mm: float
    centre_short_mm: float
    covered_fraction: float
    antenna_in_bone: bool | None
    warnings: tuple[str, ...]


def place_direct_tip(
    volume: Volume,
    lesion: Mask,
    bone: Mask | None,
    entry_lps: FloatArray,
    centroid_lps: FloatArray,
    *,
    antenna_extension_mm: float,
    zone: ZoneModel,
    lesion_points_lps: FloatArray | None = None,
) -> DirectTip:
    """The needle tip's place on the route from ``entry_lps`` through ``centroid_lps``.

    Parameters
    ----------
    volume
        The planning CT (the grid of the masks).
    lesion
        The lesion mask.
    bone
        Bone around the lesion (the lesion included); None or empty: the antenna tip is not checked.
    entry_lps, centroid_lps
        The route's skin entry and the lesion's centroid (LPS mm).
    antenna_extension_mm
        Antenna tip beyond the needle tip (mm, >= 0).
    zone
        The ablation zone model (width, length, centre behind the antenna tip).
    lesion_points_lps
        The lesion's voxel centres (LPS mm, ``[n, 3]``) when the caller has them already (a route search
        places a needle on each of many routes to one lesion); computed from ``lesion`` otherwise.

    Returns
    -------
    DirectTip
        The tip's distance along the route, the zone's offset from the centroid, its coverage of the
        lesion, and the warnings in the operator's words.

    Raises
    ------
    ValueError
        When ``antenna_extension_mm`` is negative or the entry is the centroid.
    """
    if not antenna_extension_mm >= 0.0:
        raise ValueError(f'Argument "antenna_extension_mm" must be >= 0, got {antenna_extension_mm}')
    u = np.asarray(centroid_lps, dtype=np.float64) - np.asarray(entry_lps, dtype=np.float64)
    dist = float(np.linalg.norm(u))
    if dist < 1e-6:
        raise ValueError('Arguments "entry_lps" and "centroid_lps" must differ')
    u /= dist
    e = np.asarray(entry_lps, dtype=np.float64)
    back = zone.center_behind_tip_mm  # antenna tip = zone centre + back
    points = (
        lesion_points_lps
        if lesion_points_lps is not None
        else volume.index_to_lps_points(lesion.voxel_indices().astype(np.float64))
    )
    half_len, half_w = zone.length_mm / 2.0, zone.width_mm / 2.0

    def covered(centre_mm: float) -> float:
        rel = points - (e + centre_mm * u)
        t = rel @ u
        r2 = np.einsum("ij,ij->i", rel, rel) - t * t
        return float(np.mean((t / half_len) ** 2 + r2 / half_w**2 <= 1.0))

    warnings: list[str] = []
    centred_tip = dist + back - antenna_extension_mm
    if centred_tip < MIN_NEEDLE_DEPTH_MM:
        warnings.append(
            f"the lesion lies too close to the entry for the zone to be centred on it (the needle would "
            f"end {centred_tip:.1f} mm from the skin): choose an entry farther away"
        )
    if bone is None or not bone.any():
        if bone is not None:
            warnings.append(
                "no bone was found around the lesion: the antenna tip was not checked against bone"
            )
        return DirectTip(centred_tip, 0.0, covered(dist), None, tuple(warnings))

    step = SAMPLE_STEP_FRACTION * min(volume.spacing_mm)
    # antenna tip positions from the shallowest useful one to the centred one, and a little beyond it
    # so the clearance ahead of the centred tip is seen
    s = np.arange(0.0, dist + back + ANTENNA_TIP_BONE_CLEARANCE_MM + 2.0 * step, step)
    inside = mask_at_points(bone, volume, e + s[:, None] * u)
    ahead = max(1, int(np.ceil(ANTENNA_TIP_BONE_CLEARANCE_MM / step)))
    # a tip is kept when the bone goes on for the clearance ahead of it
    padded = np.append(inside, np.zeros(ahead, dtype=bool))
    kept: npt.NDArray[np.bool_] = np.asarray(
        np.lib.stride_tricks.sliding_window_view(padded, ahead + 1).all(axis=1), dtype=bool
    )
    k_centred = min(int(np.searchsorted(s, dist + back)), len(s) - 1)
    if kept[k_centred]:
        return DirectTip(centred_tip, 0.0, covered(dist), True, tuple(warnings))

    where = _antenna_tip_words(s, inside, k_centred, dist + back, step)
    centred_cover = covered(dist)
    best: tuple[float, float] | None = None  # (coverage, centre distance)
    for k in np.flatnonzero(kept[: k_centred + 1])[::-1]:
        centre = float(s[k]) - back
        if centre - antenna_extension_mm + back < MIN_NEEDLE_DEPTH_MM:
            continue
        c = covered(centre)
        if c >= MIN_USEFUL_COVERAGE and (best is None or c > best[0]):
            best = (c, centre)
    if best is None:
        warnings.append(
            f"with the zone centred on the lesion the antenna tip {where} along this route, and"
            " no needle depth keeps it inside the bone with the zone still reaching "
            "the lesion: use a shorter antenna extension or another route"
        )
        return DirectTip(centred_tip, 0.0, centred_cover, False, tuple(warnings))
    cover, centre = best
    short_mm = dist - centre
    warnings.append(
        f"needle tip drawn back {short_mm:.1f} mm so that the antenna tip stays inside the bone (centred on "
        f"the lesion it {where}): the zone covers {100 * cover:.0f}% "
        f"of the lesion ({100 * centred_cover:.0f}% if centred)"
    )
    return DirectTip(centre - antenna_extension_mm + back, short_mm, cover, True, tuple(warnings))


def bone_near_lesion(volume: Volume, lesion: Mask, reach_mm: float) -> Mask:
    """The bone (:func:`imaging.bone.bone_mask`) within ``reach_mm`` of the lesion's box, plus the lesion.

    Worked out in that box only (the answer is local; DESIGN.md). ``reach_mm`` should cover the antenna
    tip's farthest place: the lesion's far side plus the zone centre's distance behind the antenna tip.
    """
    from imaging.bone import bone_mask

    pad = [int(np.ceil(reach_mm / sp)) for sp in volume.spacing_mm]
    lo = [max(0, sl.start - p) for sl, p in zip(lesion.slices, pad, strict=True)]
    hi = [min(n, sl.stop + p) for sl, p, n in zip(lesion.slices, pad, volume.shape, strict=True)]
    box = (slice(lo[0], hi[0]), slice(lo[1], hi[1]), slice(lo[2], hi[2]))
    return Mask.union([bone_mask(volume, roi_index=box), lesion], volume.shape)


def _antenna_tip_words(
    s: FloatArray, inside: npt.NDArray[np.bool_], k_tip: int, tip_mm: float, step: float
) -> str:
    """Where the antenna tip at ``tip_mm`` lies with respect to the bone, in words ("lies 3.2 mm beyond
    the bone"): measured from the end of the bone run it last went through along the route."""
    inside_before = np.flatnonzero(inside[: k_tip + 1])
    if not len(inside_before):
        return "never enters the bone"
    j = int(inside_before[-1])
    while j + 1 < len(inside) and inside[j + 1]:
        j += 1
    exit_mm = float(s[j]) + step / 2.0
    if tip_mm > exit_mm:
        return f"would lie {tip_mm - exit_mm:.1f} mm beyond the bone"
    return f"would lie {exit_mm - tip_mm:.1f} mm from the bone's outer face"
