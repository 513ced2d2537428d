"""Study (not run in CI): are joint spaces part of the lesion pipeline's bone interior, and does it matter?

Session 21, task J. Task F found that the bone mask's 1 mm closing and 3D fill make case4's femoral head,
hip joint, acetabulum and ilium one bone interior, and suspected the joint space (cartilage and fluid,
about 50-100 HU) of being taken for normal low-density bone by the references. This script measures it
with a candidate joint mask, never used by imaging/: voxels of the 3D-filled lesion bone
(:func:`imaging.lesion_remeasure.lesion_bone`) that read below ``bone_threshold_hu`` (soft tissue) and lie
in a valley of the lightly smoothed HU: its grey closing with a ball of ``radius`` mm rises by at least
``depth`` HU (a dark gap at most about twice ``radius`` wide between brighter bone on both sides).

Run: ``PYTHONPATH=. nice -n 5 .venv/bin/python tests/benchmarks/joint_space_study.py shares`` prints, for
case4's three femoral-head seeds that ``study_normal_bone_accepted.py run`` accepts, how many voxels each
candidate takes, how many of them lie in the first reference's shell (measured as
:func:`imaging.lesion_reference.reference_around_seed` does), and the texture's and deep bone's reference
with the candidate in the bone and without it. ``... rerun RECORDS.json ...`` segments the seeds of the
study's record files again (the accepted ones, and every csv-lesion seed) with the candidate
(``radius`` 2 mm, ``depth`` 150 HU) taken out of the bone and the interior, and prints every seed whose
acceptance, type or volume changed. ``... png INDEX OUT.png`` draws a case4 seed's interior on three
slices, as on main and with the candidate taken out.

Measured (main 30ca6dd; ``shares``; ``rerun`` on the records of study_normal_bone_accepted.py ``run`` and
``lesions``, whose three modes give 104 / 66 / 138 accepted on it as before; ``png`` slices in
/work/tasks/s21_J_png):

* The hip joint is in the interior (head, joint, acetabulum one region), but as a sheet one or two voxels
  thin: raw HU 86 at its core and 183-256 beside it on the column of case4's seed [46, 73, 29].
* It is not where the femoral-head seeds' first reference is measured. The candidate (r 2 mm, 150 HU;
  722-734 voxels in each region) has 2, 0 and 0 voxels in the first-reference shells of [46, 73, 29],
  [37, 73, 37] and [16, 51, 24] (9009, 3250 and 925 voxels, medians 159, 121 and 84 HU). Those shells'
  low-density voxels are the femoral head's own low-density marrow inside its cortex, and the acetabular
  marrow.
* The deep bone's median stays 212, 219 and 220 HU without the candidate. It holds 192-342 of the
  texture's 27-32 thousand normal voxels. Taken out of the bone (the interior re-eroded), it lowers the
  texture reference by 12-15 HU (264 -> 252, 274 -> 259, 268 -> 255): [37, 73, 37] (37.8 mL mixed) is
  refused, the others stay (10.7 mL blastic -> 10.0 mL mixed, 28.9 -> 27.8 mL mixed).
* It does not hold up. The same valley test takes the dark spaces between trabeculae everywhere (r 2 mm
  and 88 HU: 840 voxels on a case1 region at [30, 50, 50], 1421 on a case7 one at [32, 72, 67], half of the
  latter's dark bone; r 2 mm and 150 HU: 291 and 461), and the 150 HU depth that keeps it near the joint
  is a figure read off case4. The re-erosion around those spaces cuts the interior the sclerotic growth
  uses. ``rerun``: the csv lesions 138 -> 140 accepted (case7 lesion 2 gains two seeds) and lesion 2's
  volumes fall 9-16 % (2.96 -> 2.49 mL); normal seeds 104 -> 102 (the 37.8 mL femoral-head seed and a
  case7 seed of 348 HU refused), volumes moving elsewhere too (case1 [15, 56, 45] 1.26 -> 2.18 mL).
* Walls required to be denser than normal trabecular bone instead (the closing at 400 or 500 HU or more)
  take 2-192 voxels and miss most of the joint, whose plates read 400-700 HU after the light smoothing.

Nothing landed in imaging/.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import imaging.lesion as lesion_module
from imaging.lesion import segment_lesion
from imaging.lesion_deep import deep_bone
from imaging.lesion_errors import NoLesionAtSeedError, SegmentationError
from imaging.lesion_grow import shell_around
from imaging.lesion_morph import ball_footprint, component_at
from imaging.lesion_mottled import texture_bone
from tests.benchmarks.bench_lesion_jitter import _load

#: case4's femoral-head seeds accepted by study_normal_bone_accepted.py ``run`` (task F's diagnosis)
HEAD_SEEDS = ([46, 73, 29], [37, 73, 37], [16, 51, 24])
#: (radius mm, valley depth HU) of the candidates measured
CANDIDATES = ((1.5, 150.0), (2.0, 150.0), (2.0, 88.0))
_orig_call = lesion_module.call_lesion
_seen: dict[str, Any] = {}
_candidate: list[tuple[float, float]] = []


def joint_candidate(kw: dict[str, Any], radius: float, depth: float) -> np.ndarray:
    """Soft-tissue voxels of the filled bone in a dark gap of the smoothed HU (see the module docstring)."""
    closed = ndimage.grey_closing(kw["smooth"], footprint=ball_footprint(radius, kw["spacing"]))
    dark = kw["hu"] < kw["p"].bone_threshold_hu
    out: np.ndarray = kw["bone"] & dark & (closed - kw["smooth"] >= depth)
    return out


def _call(**kw: Any) -> Any:
    _seen.clear()
    _seen.update(kw)
    if _candidate:
        joint = joint_candidate(kw, *_candidate[0])
        bone = kw["bone"] & ~joint
        kw["bone"] = bone
        kw["interior"] = ndimage.binary_erosion(
            bone, structure=ball_footprint(kw["p"].cortex_thickness_mm, kw["spacing"]), border_value=1
        )
    return _orig_call(**kw)


lesion_module.call_lesion = _call


def _segment(name: str, index: list[int]) -> str:
    volume = _load(name)
    try:
        lesion = segment_lesion(volume, volume.index_to_lps_points(np.asarray(index, dtype=np.float64)))
    except (NoLesionAtSeedError, SegmentationError) as exc:
        return f"refused ({str(exc)[:70]})"
    return f"{lesion.type.value} {lesion.volume_ml:.2f} mL, reference {lesion.reference_bone_hu:.0f} HU"


def shares() -> None:
    for index in HEAD_SEEDS:
        print(index, _segment("case4.nii.gz", index))
        kw = dict(_seen)
        p, hu, sp = kw["p"], kw["hu"], kw["spacing"]
        reach = kw["seed_dist"] <= p.max_radius_mm
        like = (np.abs(kw["smooth"] - kw["seed_hu"]) <= p.abnormal_delta_hu) & kw["envelope"] & reach
        alike = component_at(like, kw["seed_ball"])
        lo, hi = p.normal_bone_range_hu
        shell = (
            shell_around(alike, sp, p.shell_mm) & kw["interior"] & ~alike & reach & (hu >= lo) & (hu <= hi)
        )
        print(
            f"  first-reference shell {np.count_nonzero(shell)} voxels, median {np.median(hu[shell]):.0f} HU"
        )
        for radius, depth in CANDIDATES:
            joint = joint_candidate(kw, radius, depth)
            row = []
            for bone in (kw["bone"], kw["bone"] & ~joint):
                interior = ndimage.binary_erosion(
                    bone, structure=ball_footprint(p.cortex_thickness_mm, sp), border_value=1
                )
                deep = deep_bone(
                    hu=hu, bone=bone, seed_dist=kw["seed_dist"], spacing=sp, p=p, outside=kw["outside"]
                )
                tex = texture_bone(
                    hu=hu, bone=bone, interior=interior, seed_dist=kw["seed_dist"], spacing=sp, p=p
                )
                row.append((tex, deep))
            (tex0, deep0), (tex1, deep1) = row
            n = np.count_nonzero
            print(
                f"  r {radius:g} mm, depth {depth:g} HU: {n(joint)} voxels ({n(joint & kw['interior'])} "
                f"interior, {n(joint & shell)} in the shell, {n(joint & tex0.normal)} of the texture's "
                f"{n(tex0.normal)} normal); texture reference {tex0.reference_hu:.0f} -> "
                f"{tex1.reference_hu:.0f} HU, deep bone {_hu(deep0)} -> {_hu(deep1)} HU"
            )


def _hu(deep: Any) -> str:
    return "none" if deep is None else f"{deep.median_hu:.0f}"


def rerun(files: list[str]) -> None:
    _candidate.append((2.0, 150.0))
    volumes: dict[str, Any] = {}
    for f in files:
        n = accepted = 0
        for r in json.loads(Path(f).read_text()):
            if not r["accepted"] and r.get("row") is None:  # every csv-lesion seed; accepted others
                continue
            volume = volumes.setdefault(r["patch"], _load(r["patch"]))
            try:
                lesion = segment_lesion(volume, np.asarray(r["lps"]))
                new = (lesion.type.value, round(lesion.volume_ml, 3))
            except (NoLesionAtSeedError, SegmentationError):
                new = ("refused", 0.0)
            old = (r["type"], round(r["volume_ml"], 3)) if r["accepted"] else ("refused", 0.0)
            n += 1
            accepted += new[0] != "refused"
            if new != old:
                print(Path(f).name, r["patch"], r.get("row"), r["index"], old, "->", new, flush=True)
        print(f, "accepted", accepted, "of", n, "re-run", flush=True)


def png(index: list[int], out: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    verdict = _segment("case4.nii.gz", index)
    kw = dict(_seen)
    hu, p, sp = kw["hu"], kw["p"], kw["spacing"]
    joint = joint_candidate(kw, *CANDIDATES[1])
    after = ndimage.binary_erosion(
        kw["bone"] & ~joint, structure=ball_footprint(p.cortex_thickness_mm, sp), border_value=1
    )
    k, j, i = np.rint(kw["local_seed"]).astype(int)
    fig, axes = plt.subplots(2, 3, figsize=(24, 17))
    views = [
        (np.s_[k], (i, j), "axial"),
        (np.s_[:, j], (i, k), "coronal"),
        (np.s_[:, :, i], (j, k), "sagittal"),
    ]
    for row, interior, title in ((axes[0], kw["interior"], "main"), (axes[1], after, "candidate out (red)")):
        for ax, (cut, (x, y), name) in zip(row, views, strict=True):
            ax.imshow(hu[cut], cmap="gray", vmin=-100, vmax=800, origin="lower", interpolation="nearest")
            ax.contour(interior[cut], [0.5], colors="lime", linewidths=0.8)
            if interior is after and joint[cut].any():
                ax.contour(joint[cut], [0.5], colors="r", linewidths=0.8)
            ax.plot([x], [y], "c+", ms=14)
            ax.set_title(f"{name}: interior (green), {title}")
    fig.suptitle(f"case4 {index}: {verdict}")
    fig.tight_layout()
    fig.savefig(out, dpi=50)


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "shares"
    if mode == "shares":
        shares()
    elif mode == "rerun":
        rerun(sys.argv[2:])
    elif mode == "png":
        png([int(v) for v in sys.argv[2].split(",")], sys.argv[3])
    else:
        raise SystemExit(f"unknown mode {mode!r}: shares, rerun RECORDS.json..., png INDEX OUT.png")
