"""Measurement (not run in CI): what the operator's box does on the real bone-lesion patches (issue 4).

1. ``segment_lesion`` from each box centre WITH the dataset's box as the operator's box
   (imaging.lesion step 8: the lesion stays in the box, normal bone is measured outside it): issue 4's
   check (centroid in the box, at least half of the voxels in the box grown by 5 mm), the type against
   the types the test accepts, and the share of voxels inside the box itself.
2. Every normal-bone seed of the test (``NORMAL_SEEDS``) with a cube of ``BOX_SIDES_MM`` around it, as an
   operator drawing a box around normal bone: refused or not, and why.
3. The alternative that was not adopted: a seed refused as normal bone reconsidered inside the box, from
   the box's most abnormal compact region, here the 2 mm ball (the seed ball, ``seed_radius_mm``) whose
   median HU lies farthest from the deep trabecular bone outside the box (at least ``texture_depth_mm``
   inside bone, within ``max_radius_mm``, normal range), searched over the box's bone interior; then
   ``segment_lesion`` from that ball's centre with the box. Printed for the lesions and the normal seeds
   with an 18 mm box: where the ball lies, what it gives.

Run: ``.venv/bin/python tests/benchmarks/bench_lesion_box.py`` (needs ../shared/data; about 15 s).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from imaging.bone import bone_mask_array
from imaging.lesion import segment_lesion
from imaging.lesion_errors import NoLesionAtSeedError, SegmentationError
from imaging.lesion_grow import LesionParameters, distance_from
from imaging.lesion_model import LesionType
from imaging.lesion_morph import ball_footprint, box_around_index, fill_holes, within_mm
from imaging.lesion_padding import zero_filled
from imaging.volume import Volume
from tests.benchmarks.bench_lesion_real import FOLDER, check, lesion_rows, load
from tests.imaging.test_lesion_realdata import CASES, NORMAL_SEEDS

BOX_SIDES_MM = (15.0, 20.0)  # the task's "15-20 mm box" around a normal-bone seed
SEARCH_BOX_MM = 18.0

FloatArray = npt.NDArray[np.float64]


def main() -> None:
    rows = lesion_rows()
    if rows is None:
        return
    accepted: dict[int, set[LesionType]] = {int(c.values[0]): set(c.values[1]) for c in CASES}
    cache: dict[str, Volume] = {}
    boxes: list[tuple[str, str, FloatArray, FloatArray, FloatArray, set[LesionType] | None]] = []
    print("1. lesions with their boxes")
    for i, r in enumerate(rows):
        volume = cache.setdefault(r["image_path"], load(FOLDER / r["image_path"]))
        centre = np.array([float(r["x"]), float(r["y"]), float(r["z"])])
        size = np.array([float(r["width"]), float(r["height"]), float(r["depth"])])
        lo, hi = centre - size / 2.0, centre + size / 2.0
        boxes.append((f"row {i}", r["image_path"], centre, lo, hi, accepted[i]))
        try:
            lesion = segment_lesion(volume, centre, box_lps=(lo, hi))
        except SegmentationError as e:
            print(f"  row {i}: refused ({e})")
            continue
        in_box, fraction = check(volume, lesion, centre, size)
        pts = volume.index_to_lps_points(lesion.mask.voxel_indices())
        strictly = float(np.all((pts >= lo - 1e-6) & (pts <= hi + 1e-6), axis=1).mean())
        ok = in_box and fraction >= 0.5 and lesion.type in accepted[i]
        print(
            f"  row {i}: {lesion.type.value} {lesion.volume_ml:.2f} mL, reference "
            f"{lesion.reference_bone_hu:.0f} HU, centroid in box {in_box}, {fraction:.2f} in box+5 mm, "
            f"{strictly:.2f} in the box -> "
            f"{'PASS' if ok else 'FAIL'}"
        )
    print("2. normal-bone seeds with a box around them")
    for side in BOX_SIDES_MM:
        refused = 0
        for param in NORMAL_SEEDS:
            image, seed_lps, _ = param.values
            volume = cache.setdefault(str(image), load(FOLDER / str(image)))
            seed = np.asarray(seed_lps, dtype=np.float64)
            try:
                lesion = segment_lesion(volume, seed, box_lps=(seed - side / 2.0, seed + side / 2.0))
            except NoLesionAtSeedError as e:
                refused += 1
                print(f"  {side:g} mm {param.id}: refused: {e.reason[:150]}")
                continue
            print(f"  {side:g} mm {param.id}: a {lesion.type.value} lesion of {lesion.volume_ml:.2f} mL")
        print(f"  {side:g} mm boxes: {refused} of {len(NORMAL_SEEDS)} refused")
    print(
        f"3. not adopted: from the box's most abnormal 2 mm ball ({SEARCH_BOX_MM:g} mm boxes for normal "
        "seeds)"
    )
    for param in NORMAL_SEEDS:
        image, seed_lps, _ = param.values
        seed = np.asarray(seed_lps, dtype=np.float64)
        half = SEARCH_BOX_MM / 2.0
        boxes.append((str(param.id), str(image), seed, seed - half, seed + half, None))
    found = 0
    for name, image, seed, lo, hi, types in boxes:
        volume = cache.setdefault(image, load(FOLDER / image))
        ball = _most_abnormal_ball(volume, seed, lo, hi)
        if ball is None:
            print(f"  {name}: no bone interior in the box")
            continue
        centre_lps, deviation_hu, from_seed_mm = ball
        line = (
            f"  {name}: ball {deviation_hu:+.0f} HU from the deep bone outside, {from_seed_mm:.1f} mm from "
            "the seed"
        )
        try:
            lesion = segment_lesion(volume, centre_lps, box_lps=(lo, hi))
        except SegmentationError as e:
            print(f"{line} -> refused ({str(e)[:90]})")
            continue
        found += types is None
        verdict = ""
        if types is not None:
            size = hi - lo
            in_box, fraction = check(volume, lesion, (lo + hi) / 2.0, size)
            verdict = " PASS" if in_box and fraction >= 0.5 and lesion.type in types else " FAIL"
        print(f"{line} -> {lesion.type.value} {lesion.volume_ml:.2f} mL{verdict}")
    print(f"  normal-bone boxes giving a lesion this way: {found} of {len(NORMAL_SEEDS)}")


def _most_abnormal_ball(
    volume: Volume, seed: FloatArray, lo: FloatArray, hi: FloatArray
) -> tuple[FloatArray, float, float] | None:
    """(centre LPS, median minus deep bone outside the box HU, distance from the seed mm), or None."""
    p = LesionParameters()
    spacing = volume.spacing_mm
    seed_index = volume.lps_to_index_points(seed)
    roi = box_around_index(seed_index, p.roi_size_mm / 2.0, spacing, volume.shape)
    offset = np.array([s.start for s in roi])
    hu = volume.array[roi].astype(np.float32)
    outside = zero_filled(hu)
    bone = bone_mask_array(
        hu, spacing, threshold_hu=p.bone_threshold_hu, metal_hu=p.dense_max_hu, fill_views=False
    )
    if outside.any():
        bone = fill_holes(bone | outside) & ~outside
    interior = ndimage.binary_erosion(
        bone, structure=ball_footprint(p.cortex_thickness_mm, spacing), border_value=1
    )
    idx = np.indices(hu.shape).reshape(3, -1).T + offset
    pts = volume.index_to_lps_points(idx)
    in_box = np.all((pts >= lo) & (pts <= hi), axis=1).reshape(hu.shape)
    deep = ~within_mm(~bone, p.texture_depth_mm, spacing, strict=True)
    dist = distance_from(hu.shape, seed_index - offset, spacing)
    lo_hu, hi_hu = p.normal_bone_range_hu
    normal = deep & ~in_box & (dist <= p.max_radius_mm) & (hu >= lo_hu) & (hu <= hi_hu) & ~outside
    if not normal.any():
        return None
    reference = float(np.median(hu[normal]))
    footprint = ball_footprint(p.seed_radius_mm, spacing)
    half = [n // 2 for n in footprint.shape]
    padded = np.pad(np.where(outside, np.nan, hu), [(h, h) for h in half], constant_values=np.nan)
    best: tuple[FloatArray, float, float] | None = None
    for c in np.argwhere(interior & in_box & ~outside):
        values = padded[tuple(slice(a, a + n) for a, n in zip(c, footprint.shape, strict=True))][footprint]
        values = values[~np.isnan(values)]
        if values.size < footprint.sum() // 2:
            continue
        deviation = float(np.median(values)) - reference
        if best is None or abs(deviation) > abs(best[1]):
            best = (volume.index_to_lps_points(c + offset), deviation, float(dist[tuple(c)]))
    return best


if __name__ == "__main__":
    main()
