"""A lytic-looking seed in soft tissue outside intact bone: refused, not grown into a "lesion".

Issue 4: "a lytic lesion may break through the cortex into soft tissue and must be followed there". The
growth of step 6 of :mod:`imaging.lesion` does that from a seed in the lesion inside the bone, and from a
seed just outside the bone's envelope it grew the lytic band (fat .. lytic edge) up to
``extraosseous_max_mm`` around the bone. Muscle (40-60 HU) lies in that band against any normal bone, so
before this module a click in muscle or prevertebral tissue beside an intact vertebra was a "lytic
lesion" with a cortical breach (QA s31 D, row 21: 6 mm in front of the vertebra phantom's body, 7.02 mL;
on real CT 174 of 340 soft-tissue points 3-10 mm outside the bone of intact vertebrae, up to 127 mL,
flooding the low-density marrow behind a thin cortex: tests/benchmarks/lesion_outside_figures.py).

The rule is about where the seed is, not about the tissue it grows in: a lytic seed must lie in the bone
(the region's bone mask, its marrow filled) or be surrounded by bone, which is where a lesion that
destroyed the marrow and opened the cortex lies. "Surrounded" is measured as the share of directions
(``DIRECTIONS`` spread evenly over the sphere) in which a ray from the seed's voxel meets bone within
``seed_bone_search_mm`` (the distance within which a seed must have bone to be "in or at a bone",
:mod:`imaging.lesion_seed`): more than half. That half is geometry, not a tuned figure: seen from any point
outside a convex bone, the bone lies in one half-space, so it fills less than half of the directions (at
most half at the surface itself, less the farther away and the shorter the rays); inside a cavity the
bone fills every direction but those through the hole. Measured (lesion_outside_figures.py): the vertebra
phantom's soft tissue 0.17-0.38; the lesion phantom's breakthrough seed 0.73; bone-lesions case4's two
lesions (soft-tissue density where marrow and cortex are destroyed, seeds 3.3-3.6 mm from the bone mask)
0.95 and 0.83, case7's first lesion 0.92.

What the rule does not do: a seed in the lesion's part outside the bone, beyond the hole, is refused (it is
surrounded by bone in fewer than half of the directions, like muscle next to the bone): the message asks
for a click in the lesion inside the bone or in the hole, from which the lesion is followed out into the
soft tissue as before. Soft tissue in a concave corner of bone (between a vertebral body and a transverse
process, rib head or the next vertebra) can be surrounded in more than half of the directions and is still
accepted (16 of the 340 real points above, all among the 174 the base accepted, 13 of them 3 mm from
the bone). The seed is judged lytic first (steps 3-4): this module only
runs for a seed below the reference by more than ``abnormal_delta_hu``, before the deep-bone check of
step 4c (:mod:`imaging.lesion_deep`): muscle (40-60 HU) beside an osteoporotic body whose marrow reads as
low (lumbar-ct-labels, 43-69 HU) is like that marrow, and is refused as what it is, soft tissue.

Arrays are the region of interest ``[slice, row, col]``; sizes mm on the grid's spacing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from imaging.lesion_errors import NoLesionAtSeedError
from imaging.lesion_grow import LesionParameters

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

__all__ = ["DIRECTIONS", "bone_around_share", "refuse_seed_outside_bone"]

#: rays cast from the seed's voxel: 64 directions spread evenly over the sphere (a Fibonacci lattice),
#: about 1/64 of the sphere each (a share of 0.5 is 32 of them)
DIRECTIONS = 64


def _sphere_directions(n: int) -> FloatArray:
    """``n`` unit vectors ``(slice, row, col)`` spread evenly over the sphere (Fibonacci lattice)."""
    i = np.arange(n, dtype=np.float64) + 0.5
    polar = np.arccos(1.0 - 2.0 * i / n)
    azimuth = np.pi * (1.0 + np.sqrt(5.0)) * i
    out: FloatArray = np.stack(
        [np.cos(polar), np.sin(polar) * np.sin(azimuth), np.sin(polar) * np.cos(azimuth)], axis=1
    )
    return out


def bone_around_share(
    bone: BoolArray, index: npt.ArrayLike, spacing: Sequence[float], radius_mm: float, n: int = DIRECTIONS
) -> float:
    """The share of ``n`` directions in which a ray from the voxel ``index`` meets ``bone`` within
    ``radius_mm`` (steps of the finest spacing; a ray leaving the array meets nothing more). 1.0 when the
    voxel itself is bone."""
    start = np.asarray(index, dtype=np.float64)
    at = tuple(int(v) for v in np.rint(start))
    if bone[at]:
        return 1.0
    sp = np.asarray(spacing, dtype=np.float64)
    steps = np.arange(float(sp.min()), radius_mm + 1e-9, float(sp.min()))
    if steps.size == 0:
        return 0.0
    rays = _sphere_directions(n)
    # points along every ray, in index units: (n, steps, 3)
    points = start + steps[None, :, None] * (rays / sp)[:, None, :]
    k = np.rint(points).astype(np.int64)
    inside = np.all((k >= 0) & (k < np.asarray(bone.shape)), axis=2)
    hit = np.zeros(inside.shape, dtype=bool)
    hit[inside] = bone[tuple(k[inside].T)]
    return float(np.count_nonzero(hit.any(axis=1))) / n


def refuse_seed_outside_bone(
    *,
    bone: BoolArray,
    local_seed: FloatArray,
    seed_dist: FloatArray,
    seed_hu: float,
    reference_hu: float,
    spacing: Sequence[float],
    p: LesionParameters,
) -> None:
    """Raise :class:`NoLesionAtSeedError` when a lytic-looking seed lies in soft tissue outside intact bone.

    ``bone`` is the region's bone mask (marrow filled, :func:`imaging.lesion_remeasure.lesion_bone`),
    ``local_seed`` the seed's voxel in the region, ``seed_dist`` each voxel's distance from it (mm).
    Passes a seed in the bone or surrounded by it in more than half of the directions (module docstring).
    """
    share = bone_around_share(bone, local_seed, spacing, p.seed_bone_search_mm)
    if share > 0.5:
        return
    near = seed_dist[bone]
    nearest = f"{float(near.min()):.1f} mm from the nearest bone" if near.size else "with no bone near"
    raise NoLesionAtSeedError(
        f"the point is soft tissue outside the bone: the seed ({seed_hu:.0f} HU, "
        f"{reference_hu - seed_hu:.0f} HU below the bone near it) lies {nearest}, which surrounds it in "
        f"{share:.0%} of directions within {p.seed_bone_search_mm:g} mm (a lesion in the bone, or in a hole "
        "it made in the cortex, is surrounded by bone in more than half); if it is part of a lesion that "
        "broke out of the bone, click in the lesion inside the bone or in the hole it made in the cortex, "
        "and the lesion is followed from there into the soft tissue",
        seed_hu=seed_hu,
    )
