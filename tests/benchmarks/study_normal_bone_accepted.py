"""Study (not run in CI): what are the random bone-interior voxels that segment_lesion accepts as lesions?

The seeds are those of tests/benchmarks/bench_seed_nudge.py ``normal``: on each bone-lesions patch,
``per_patch`` voxels drawn with the same fixed generator from the bone interior (bone mask eroded by
``cortex_thickness_mm``) outside every lesion box grown by 5 mm, each segmented without a box. For every
seed this records the seed voxel's HU and its 2 mm ball median, its depth below the bone's outer surface
(distance map of the bone mask filled in two of three views), its distance to the nearest voxel of
``DENSE_HU`` or more (cortex, end plate, dense focus), the first and final reference, the deep bone
(:mod:`imaging.lesion_deep`) median and range, which step accepted it (``lytic`` / ``sclerotic``: the
seed's ball beyond ``abnormal_delta_hu`` of the reference; ``texture``: the mottled judgement of step 4b),
and the type, volume and diameter returned (or the refusal's reason).

Run: ``PYTHONPATH=. nice -n 5 .venv/bin/python tests/benchmarks/study_normal_bone_accepted.py run [n]``
(n seeds a patch, default 75) writes a JSON of the records (``OUT``); ``... lesions`` the same for the 7
csv lesions' box centres and their 26 neighbouring voxels (``LESIONS_OUT``); ``... summary`` prints the
tables below from both; ``... png [per_kind]`` saves three orthogonal slices of a sample of accepted
seeds, the lesion outlined (``PNG_DIR``); ``... trabecular [n]`` draws the seeds from trabecular bone only
(at least ``texture_depth_mm`` below the surface, the 2 mm ball's median within ``normal_bone_range_hu``)
and writes ``TRABECULAR_OUT``. ``STUDY_OUT=<folder>`` puts the JSONs elsewhere (a before and an after run).
About 1 s a seed.

Rule A landed (session 20, task A: imaging.lesion_cortex.refuse_seed_on_cortex, with the exception of a
ball wholly 654-1000 HU, a dense lesion's interior). Before (main c09d121) / after, from the logs of each
mode compared seed by seed: ``run`` 147 / 104 of 300 accepted (case1 40/23, case4 43/28, case5 20/20,
case7 44/33; the 43 refused were all sclerotic-step seeds, seed ball 413-1273 HU; no seed newly accepted,
no other volume changed; 71 sclerotic left, none with cortex in its ball); ``lesions`` 138 / 138 of the
csv lesions' 180 seeds, no type or volume changed; ``trabecular`` 67 / 66 of 300 (case1 8, case4 17,
case5 9, case7 33/32: one seed of 390 HU at [45, 47, 88] refused on the cortex).

Why the femoral head and the texture step accept normal bone (session 21, task F, main at 48e1169; the
same 104 / 66 / 138 acceptances; the records now also give ``alike_ml``, the region like the seed the first
reference is measured around, and its shell's normal-range ``shell_voxels``, their ``shell_median_mm`` from
the seed and ``shell_below_bone``, those below ``bone_threshold_hu``; scripts and slices in
/work/tasks/s21_F_scripts and /work/tasks/s21_F_png):

* The first reference is never "around the lesion": the region like the seed (smoothed HU within 88 HU of
  it, connected) runs out to the 40 mm reach for every csv lesion seed but case4's (case1 9.4-12.5 mL,
  case5 2.9-6.7, case7 lesion 1 10-18, lesion 2 24-29 mL; case4's lytic seeds have none and use the
  3-12 mm shell around the seed) and for most normal seeds. Its shell is the bone at least 88 HU unlike
  the seed 19-39 mm away (median distance). A normal seed is then judged against bone chosen for being
  unlike it. Measuring it in the part of that shell within 14 mm of the seed instead
  changes the csv lesions (138 -> 133 accepted: 5 of case1's refused; volumes of case1, case5 and case7
  lesion 1 moved by up to 23 %).
* case4's femoral head (the patch's lower half; its seeds read 276-361 HU, the shells' voxels above 130 HU
  have medians 153-182 HU): the bone mask's 1 mm closing bridges the narrow hip joint and the 3D fill then
  takes the joint space into the bone (the head, the joint, the acetabulum and the ilium are one bone
  interior). [46, 73, 29] (361 HU, 10.7 mL blastic): region like it 26 mL, shell 9009 voxels 25 mm away,
  2888 below 130 HU (median 94 HU): the head's own inferior low-density part and the acetabular marrow,
  159 HU; measured again 202 HU and grown again. [37, 73, 37] (318 HU, 37.8 mL mixed): 36 mL, 3250 voxels
  19 mm away, 1865 below 130 HU: 121 HU, sclerotic, then 274 HU around the first lesion, so texture: its
  "lytic foci" are the head's inferior part and the filled joint, its "sclerotic" ones the subchondral
  plates (fraction 0.34 against 0.29). [16, 51, 24] (276 HU, 28.9 mL mixed): 36 mL, 925 voxels 23 mm
  away, 778 below 130 HU (median 73): 84 HU, then the deep bone (220 HU, the whole region's: head,
  acetabulum, ilium and the filled joint) by step 4b, and texture against 268 HU: the head's superior
  dense and inferior light parts (each 10-30 mm across, not foci of a few mm) read as mottled (0.46
  against 0.32). Neither "same bone" (the joint is filled, so the head is not a separate piece of the
  mask) nor "nearby" (above) separates these from a lesion with the masks the pipeline has.
* Texture acceptances (24 of ``run``, 39 of ``trabecular``): the neighbourhood is 0.3-1.0 abnormal at the
  2 mm scale because the seed's bone is denser than the deep bone as a whole (laminae and posterior
  arches at 1.0: no deep bone of their own; end plates, the acetabular roof) while its 2 mm ball reads
  within 88 HU. Two candidates measured, with the csv lesions' texture seeds (case7 lesion 2, one case5
  seed): (1) leaving the cortex (lesion_cortex: above 742 HU, continuous with the surface) out of the
  texture smoothing and judgement: 104 -> 104, 66 -> 64, csv acceptances the same, case7 lesion 2's
  volumes within 1.3 %; (2) the normal bone's heterogeneity measured at the seed's own depth (within
  0.5 mm) instead of 4 mm or more: refuses 1 of the 24 (the 37.8 mL seed) and 3 of the 39, keeps every
  csv seed; rims elsewhere in the same patches read 0.0-0.2 at the seeds' depths, so rims are not
  abnormal as a class. Neither landed.

Joint spaces in the bone interior (session 21, task J, main at 30ca6dd; figures and method in
tests/benchmarks/joint_space_study.py's docstring; main gives the same 104 / 66 / 138 accepted): the
hip joint is in the interior, but as a sheet one or two voxels thin that holds 2, 0 and 0 voxels of the
femoral-head seeds' first-reference shells (9009, 3250, 925 voxels); those shells' low-density voxels are
the head's own low-density marrow and the acetabular marrow. A candidate joint mask taken out of the bone
refuses the 37.8 mL seed through the texture step but also takes the dark spaces between trabeculae and
changes the csv lesions (138 -> 140 accepted, case7 lesion 2's volumes -9 to -16 %): not landed.

Measured (session 20, task N, main at 6f4058f; ``run`` then ``summary``): 147 of 300 accepted, as
bench_seed_nudge.py ``normal`` (case1 40, case4 43, case5 20, case7 44). By the step that accepted them:

* sclerotic (seed's 2 mm ball more than 88 HU above the reference): 114. Seed 370 / 564 / 862 HU (10th /
  50th / 90th percentile; 7 above 1000 HU, cortical bone by CLINICAL.md), reference 185 / 238 / 269 HU, depth
  below the bone's outer surface 2.2 / 2.8 / 4.7 mm, a voxel of 700 HU or more at 0.0 / 1.0 / 4.4 mm,
  0.1 / 0.4 / 1.0 mL; 109 blastic, 4 mixed, 1 lytic. On the slices (PNG_DIR): the inner layer of cortex
  that is thicker than the sample's 2 mm erosion (ribs, clavicle, laminae and spinous processes, vertebral
  rims and end plates) and the dense trabeculae of the femoral head (one seed: 10.7 mL blastic).
* texture (step 4b: the seed within 88 HU of the reference, at first or once it is measured again around
  a first lesion): 24. Seed 144 / 305 / 347 HU, depth 2.2 / 2.8 / 4.7 mm, 0.2 / 0.7 / 2.8 mL; 16 blastic,
  5 lytic, 3 mixed: vertebral rims, the acetabular roof, rib marrow, and case4's femoral head and
  acetabulum (two seeds of 276 and 318 HU, first reference 84 and 121 HU, then texture: 28.9 and 37.8 mL
  mixed).
* lytic: 9. Seed 57 / 123 / 141 HU against a reference of 261 / 286 / 318 HU measured in denser bone
  around them, deep bone 165-238 HU (not within 88 HU, so step 4c does not refuse them); depth 2.2 / 6.2 /
  7.1 mm: four in case4's femoral head (its lower-density centre between the compressive trabeculae, 0.8-1.6
  mL), two in case1's posterior arch (37 and 85 HU, 0.37 and 0.48 mL: a lucent focus or fatty marrow, not
  decidable here), and three in case7 (two 140 HU seeds in soft tissue in front of the spine that the bone
  mask took in, 61-63 mL: the sampler's fault, possibly the tumour's soft-tissue part outside its box).

A radiologist would call nearly all of them normal (cortex, end plates, femoral head, acetabular roof, rib
marrow); only case1's two arch seeds and case7's anterior soft tissue might be disease outside the boxes.

Candidate rule A (measured through the ``cortex_ball_*`` fields): refuse a sclerotic seed whose
2 mm ball holds cortex as :mod:`imaging.lesion_cortex` defines it for a lytic seed's sclerotic part (smoothed
voxels more than ``abnormal_delta_hu`` above ``blastic_typical_hu``, 742 HU, face-connected to the bone's
surface). It refuses 43 of the 147 (case1 17, case4 15, case5 0, case7 11; all 7 seeds above 1000 HU) and
none of the 7 csv lesions' 180 seeds in the volume (accepted 14, 27, 27, 27, 27, 16, 0 of rows 0-6). The
same rule with the seed's own level (seed + 88 HU, as the cortex check of the growth) refuses 63, but also
3 of case1's 14 accepted seeds and 4 of case5's 27. With max(seed, 654) + 88 HU it refuses 17. Rule A leaves
104 accepted (71 of them sclerotic, 45 of these within 2 mm of a 700 HU voxel), and it would refuse a dense
blastic lesion that abuts the cortex when seeded within 2 mm of it (no such case in the data to test it).
"""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import imaging.lesion as lesion_module
import imaging.lesion_call as call_module
from imaging.bone import bone_mask_array
from imaging.lesion import segment_lesion
from imaging.lesion_cortex import continuous_with_surface, soft_tissue_around_bone
from imaging.lesion_deep import deep_bone
from imaging.lesion_errors import NoLesionAtSeedError, SegmentationError
from imaging.lesion_grow import LesionParameters, shell_around
from imaging.lesion_morph import ball_footprint, component_at
from tests.benchmarks.bench_lesion_jitter import DATA, _load
from tests.benchmarks.bench_seed_nudge import normal_bone_candidates

PER_PATCH = 75
DENSE_HU = 700.0  # above blastic metastases' typical 654 HU (CLINICAL.md): cortex, end plate, dense bone
#: where the records go; STUDY_OUT (a folder) keeps a before and an after run apart
_OUT_DIR = Path(os.environ.get("STUDY_OUT", "/tmp/s20_N"))
OUT = _OUT_DIR / "normal_seeds.json"
LESIONS_OUT = _OUT_DIR / "lesion_seeds.json"
TRABECULAR_OUT = _OUT_DIR / "trabecular_seeds.json"
PNG_DIR = Path("/work/tasks/s20_N_png")

_seen: dict[str, Any] = {}
_orig_call = lesion_module.call_lesion
_orig_ref = call_module.reference_around_seed


def _ref(**kw: Any) -> Any:
    r = _orig_ref(**kw)
    _seen["first_reference"] = r.hu  # a ReferenceSample since session 22 (imaging.lesion_basis)
    # where that reference was measured (session 21, task F): the region like the seed it is measured
    # around, and its shell's normal-range voxels (how many, their median distance from the seed, and how
    # many read below the bone threshold: bone only by the 3D fill, as a filled joint space is)
    p, hu = kw["p"], kw["hu"]
    alike = component_at(
        (np.abs(kw["smooth"] - kw["seed_hu"]) <= p.abnormal_delta_hu) & kw["envelope"] & kw["reach"],
        kw["seed_ball"],
    )
    lo, hi = p.normal_bone_range_hu
    shell = shell_around(alike, kw["spacing"], p.shell_mm) & kw["interior"] & ~alike & kw["reach"]
    shell &= (hu >= lo) & (hu <= hi)
    at = np.argwhere(shell)
    _seen["alike_ml"] = float(np.count_nonzero(alike) * np.prod(kw["spacing"]) / 1000.0)
    _seen["shell_voxels"] = len(at)
    _seen["shell_median_mm"] = (
        float(np.median(np.linalg.norm((at - kw["local_seed"]) * np.asarray(kw["spacing"]), axis=1)))
        if len(at)
        else None
    )
    _seen["shell_below_bone"] = int(np.count_nonzero(shell & (hu < p.bone_threshold_hu)))
    return r


def _call(**kw: Any) -> Any:
    _seen["seed_hu"] = kw["seed_hu"]
    deep = deep_bone(
        hu=kw["hu"],
        bone=kw["bone"],
        seed_dist=kw["seed_dist"],
        spacing=kw["spacing"],
        p=kw["p"],
        outside=kw["outside"],
    )
    if deep is not None:
        _seen["deep_median"] = deep.median_hu
        _seen["deep_range"] = list(deep.range_hu)
    # candidate rule: does the seed's ball reach the cortex (imaging.lesion_cortex: dense bone continuous
    # with the bone's surface), dense meaning more than abnormal_delta_hu above the seed (B) or above the
    # typical blastic metastasis (A)?
    p, smooth, ball = kw["p"], kw["smooth"], kw["seed_ball"]
    soft = soft_tissue_around_bone(kw["bone"], kw["outside"])
    for key, level in (("cortex_ball_seed", kw["seed_hu"]), ("cortex_ball_blastic", p.blastic_typical_hu)):
        cortex = continuous_with_surface((smooth > level + p.abnormal_delta_hu) & kw["bone"], soft)
        _seen[key] = int(np.count_nonzero(cortex & ball))
    _seen["ball_voxels"] = int(np.count_nonzero(ball))
    call = _orig_call(**kw)
    _seen["final_reference"] = call.reference_hu
    _seen["texture"] = (
        None if call.texture is None else [call.texture.seed_fraction, call.texture.threshold_fraction]
    )
    _seen["grown"] = call.growth is not None
    return call


def _seeds_of(
    name: str,
    rows: list[dict[str, str]],
    rng: np.random.Generator,
    per_patch: int,
    p: LesionParameters,
    trabecular: bool = False,
):
    """The seeds of bench_seed_nudge.normal, plus the patch's depth and dense-distance maps."""
    volume = _load(name)
    candidates = normal_bone_candidates(volume, name, rows, p)
    if trabecular:
        return volume, _trabecular(volume, candidates, rng, per_patch, p)
    picked = candidates[rng.choice(len(candidates), size=min(per_patch, len(candidates)), replace=False)]
    return volume, picked


def _trabecular(
    volume: Any, candidates: np.ndarray, rng: np.random.Generator, per_patch: int, p: LesionParameters
) -> np.ndarray:
    """Seeds in trabecular bone only: at least ``texture_depth_mm`` below the bone's outer surface (the
    depth map of ``_maps``) with the 2 mm ball's median HU within ``normal_bone_range_hu`` (CLINICAL.md's
    normal trabecular bone), drawn in a random order until ``per_patch`` are found."""
    depth, _ = _maps(volume, p)
    hu = volume.array.astype(np.float32)
    deep = candidates[depth[tuple(candidates.T)] >= p.texture_depth_mm]
    foot = ball_footprint(p.seed_radius_mm, volume.spacing_mm)
    half = np.asarray(foot.shape) // 2
    lo, hi = p.normal_bone_range_hu
    picked: list[np.ndarray] = []
    for n in rng.permutation(len(deep)):
        k = deep[n]
        if np.any(k < half) or np.any(k + half >= hu.shape):
            continue
        block = hu[tuple(slice(int(a - h), int(a + h + 1)) for a, h in zip(k, half, strict=True))]
        if lo <= float(np.median(block[foot])) <= hi:
            picked.append(k)
            if len(picked) == per_patch:
                break
    return np.asarray(picked, dtype=int).reshape(-1, 3)


def _record(volume: Any, seed: np.ndarray, depth: np.ndarray, dense: np.ndarray) -> dict[str, Any]:
    """One seed's record (module docstring)."""
    index = np.rint(volume.lps_to_index_points(seed)).astype(int)
    _seen.clear()
    rec: dict[str, Any] = {
        "index": index.tolist(),
        "lps": np.round(seed, 2).tolist(),
        "voxel_hu": float(volume.array[tuple(index)]),
        "depth_mm": float(depth[tuple(index)]),
        "dense_mm": float(dense[tuple(index)]),
    }
    try:
        lesion = segment_lesion(volume, seed)
        rec.update(
            accepted=True,
            type=lesion.type.value,
            volume_ml=lesion.volume_ml,
            diameter_mm=lesion.max_diameter_mm,
        )
    except (NoLesionAtSeedError, SegmentationError) as exc:
        rec.update(accepted=False, reason=str(exc)[:160])
    rec.update(_seen)
    return rec


def _maps(volume: Any, p: LesionParameters) -> tuple[np.ndarray, np.ndarray]:
    """Depth below the bone's outer surface (mm) and distance to the nearest DENSE_HU voxel (mm)."""
    hu = volume.array.astype(np.float32)
    spacing = volume.spacing_mm
    filled = bone_mask_array(
        hu, spacing, threshold_hu=p.bone_threshold_hu, metal_hu=p.dense_max_hu, fill_views=True
    )
    depth = ndimage.distance_transform_edt(filled, sampling=spacing)
    dense = ndimage.distance_transform_edt(hu < DENSE_HU, sampling=spacing)
    return depth, dense


def _install() -> None:
    lesion_module.call_lesion = _call  # type: ignore[assignment]
    call_module.reference_around_seed = _ref  # type: ignore[assignment]


def run(per_patch: int, trabecular: bool = False) -> None:
    p = LesionParameters()
    _install()
    with (DATA / "lesion-boxes.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    rng = np.random.default_rng(20)
    records = []
    for name in sorted({r["image_path"] for r in rows}):
        volume, picked = _seeds_of(name, rows, rng, per_patch, p, trabecular)
        depth, dense = _maps(volume, p)
        for index in picked:
            rec = {
                "patch": name,
                **_record(volume, volume.index_to_lps_points(index.astype(np.float64)), depth, dense),
            }
            records.append(rec)
            print(json.dumps(rec), flush=True)
    out = TRABECULAR_OUT if trabecular else OUT
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(records, indent=1))


def lesions() -> None:
    """The same record for the 7 csv lesions' box centres and their 26 neighbouring voxels' centres."""
    p = LesionParameters()
    _install()
    with (DATA / "lesion-boxes.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    records = []
    for i, r in enumerate(rows):
        volume = _load(r["image_path"])
        depth, dense = _maps(volume, p)
        centre = np.array([float(r[k]) for k in "xyz"])
        voxel = np.rint(volume.lps_to_index_points(centre))
        for o in np.ndindex(3, 3, 3):
            at = voxel + np.asarray(o) - 1.0
            if not volume.contains_index(at):
                continue
            rec = {
                "row": i,
                "patch": r["image_path"],
                **_record(volume, volume.index_to_lps_points(at), depth, dense),
            }
            records.append(rec)
            print(json.dumps(rec), flush=True)
    LESIONS_OUT.parent.mkdir(parents=True, exist_ok=True)
    LESIONS_OUT.write_text(json.dumps(records, indent=1))


if __name__ == "__main__":
    if sys.argv[1:2] == ["run"]:
        run(int(sys.argv[2]) if len(sys.argv) > 2 else PER_PATCH)
    elif sys.argv[1:2] == ["trabecular"]:
        run(int(sys.argv[2]) if len(sys.argv) > 2 else PER_PATCH, trabecular=True)
    elif sys.argv[1:2] == ["lesions"]:
        lesions()


def _path(r: dict[str, Any]) -> str:
    """Which step accepted the seed: lytic, sclerotic, texture, or refused."""
    if not r["accepted"]:
        return "refused"
    if r.get("texture"):
        return "texture"
    return "lytic" if r["seed_hu"] < r["first_reference"] else "sclerotic"


def png(per_kind: int) -> None:
    """Three orthogonal slices through a sample of accepted seeds, the lesion outlined, to PNG_DIR."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = json.loads(OUT.read_text())
    rng = np.random.default_rng(5)
    PNG_DIR.mkdir(parents=True, exist_ok=True)
    volumes: dict[str, Any] = {}
    for kind in ("sclerotic", "texture", "lytic"):
        chosen = [r for r in records if _path(r) == kind]
        for n in rng.choice(len(chosen), size=min(per_kind, len(chosen)), replace=False):
            r = chosen[int(n)]
            volume = volumes.setdefault(r["patch"], _load(r["patch"]))
            lesion = segment_lesion(volume, np.asarray(r["lps"]))
            full = lesion.mask.to_full()
            k, j, i = r["index"]
            a = volume.array
            views = [
                (a[k], full[k], (i, j), "axial"),
                (a[:, j], full[:, j], (i, k), "coronal"),
                (a[:, :, i], full[:, :, i], (j, k), "sagittal"),
            ]
            fig, axes = plt.subplots(1, 3, figsize=(12, 4.4))
            for ax, (img, m, (x, y), title) in zip(axes, views, strict=True):
                ax.imshow(img, cmap="gray", vmin=-200, vmax=1200, origin="upper")
                if m.any():
                    ax.contour(m, levels=[0.5], colors="r", linewidths=0.7)
                ax.plot([x], [y], "c+", ms=12)
                ax.set_title(title)
                ax.axis("off")
            fig.suptitle(
                f"{r['patch']} {r['lps']} {kind}: seed {r['seed_hu']:.0f} HU, ref {r['first_reference']:.0f}"
                f"->{r['final_reference']:.0f}, deep {r.get('deep_median', float('nan')):.0f}, depth "
                f"{r['depth_mm']:.1f} mm, {DENSE_HU:g} HU at {r['dense_mm']:.1f} mm; {r['type']} "
                f"{r['volume_ml']:.2f} mL (window -200..1200 HU)",
                fontsize=8,
            )
            name = f"{kind}_{r['patch'].split('.')[0]}_{k}_{j}_{i}.png"
            fig.savefig(PNG_DIR / name, dpi=80)
            plt.close(fig)
            print(name, flush=True)


def summary() -> None:
    """Acceptances per patch and step, and what the cortex rule (A) would leave, from OUT and LESIONS_OUT."""
    from collections import Counter

    records = json.loads(OUT.read_text())
    lesion_seeds = json.loads(LESIONS_OUT.read_text()) if LESIONS_OUT.exists() else []

    def rule_a(r: dict[str, Any]) -> bool:
        return bool(r["accepted"] and _path(r) == "sclerotic" and r.get("cortex_ball_blastic", 0) >= 1)

    for patch in sorted({r["patch"] for r in records}):
        rs = [r for r in records if r["patch"] == patch]
        print(patch, dict(Counter(_path(r) for r in rs)), "rule A refuses", sum(rule_a(r) for r in rs))
    for kind in ("sclerotic", "texture", "lytic"):
        rs = [r for r in records if _path(r) == kind]
        if not rs:
            continue

        def q(key: str, rs: list[dict[str, Any]] = rs) -> list[float]:
            return np.percentile([r[key] for r in rs], [10, 50, 90]).round(1).tolist()

        print(
            f"{kind} {len(rs)}: seed {q('seed_hu')} HU, first reference {q('first_reference')}, depth "
            f"{q('depth_mm')} mm, {DENSE_HU:g} HU at {q('dense_mm')} mm, "
            f"{q('volume_ml')} mL (10/50/90th pct); "
            f"types {dict(Counter(r['type'] for r in rs))}"
        )
    for row in sorted({r["row"] for r in lesion_seeds}):
        rs = [r for r in lesion_seeds if r["row"] == row]
        print(
            f"csv row {row}: {sum(r['accepted'] for r in rs)} of {len(rs)} accepted, rule A refuses "
            f"{sum(rule_a(r) for r in rs)}"
        )


if __name__ == "__main__" and sys.argv[1:2] == ["png"]:
    png(int(sys.argv[2]) if len(sys.argv) > 2 else 4)
if __name__ == "__main__" and sys.argv[1:2] == ["summary"]:
    summary()
