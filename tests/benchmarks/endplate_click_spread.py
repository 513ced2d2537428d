"""Study (not run in CI): end plate tilts and pedicle widths for clicks moved within one vertebral body.

QA s25 E1 / E2: on the 3 mm abdomen, clicks up to 3 mm apart in the same body gave end plate tilts
tens of degrees apart and pedicle widths 4 mm apart. For each body click below, the click and seven
moves of it (0.6 mm and 3 mm along z, 3 mm along y and x) are found with
:func:`imaging.vertebra.find_vertebra`; per vertebra the spread (max - min over the clicks) of each end
plate's sagittal and coronal tilt and of each pedicle's narrowest width is printed. On the abdomen the
tilts are set beside planes fitted to the model's vertebral bodies (vertebral-bodies-model AND
labels-model of the level): for each (row, col) column of the body's central footprint (columns holding
the body over >= 60 % of the median column height, within 70 % of the largest distance from the
footprint's centre) the top / bottom voxel centre, and a least-squares plane z = a x + b y + c through
them (the model itself is traced on 3 mm slices: an approximate truth).

Vertical (z) columns end on the body's front or back face where the body itself is tilted (abdomen L5, about
25 degrees), so the model plane is no truth there (session 26: L5's inferior end plate on the CT's midline
sections falls about 32 degrees anteriorly, read by eye, against the model plane's 11).

Controls: lumbar-ct-labels L2-L4 (1.5 mm slices) at their body labels' centroids, with the same two planes
fitted to the labelled bodies (L2 is cut by the crop's top); chest-ct-dicom T7-T12 (2 mm, no labels) at
(-10, 125, z) with the body centres of the session notes. Run from the checkout root (a few minutes per
dataset):

    PYTHONPATH=. nice -n 5 /work/main/.venv/bin/python tests/benchmarks/endplate_click_spread.py [DATASET]

with DATASET abdomen, lumbar or chest (all when left out); ``compare BASE.json BRANCH.json`` sets two runs'
figures side by side with the references.

Session 27: the "axis" reference (tests/benchmarks/endplate_truth.py) fits each plate to the label's surface
facing along the body's own axis, not the z columns; it reads L5 inferior -37.5 (the z columns: -11.0).

Positions LPS mm, angles degrees (sagittal + rising anteriorly, coronal + rising to the patient's left).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.image_files import read_image
from imaging.vertebra import find_vertebra
from imaging.vertebra_errors import VertebraNotFoundError
from imaging.volume import Volume
from planning.vertebra_figures import vertebra_figures
from tests.benchmarks.endplate_truth import reference_tilts

#: ../shared/data beside the checkout (or OSTEOPLAN_DATA, to run a copy of another version kept elsewhere)
DATA = (
    Path(os.environ["OSTEOPLAN_DATA"])
    if "OSTEOPLAN_DATA" in os.environ
    else Path(__file__).resolve().parents[3] / "shared" / "data"
)
ABDOMEN_CLICKS = {
    "T12": (4.5, -111.0, 416.6),
    "L1": (6.5, -120.9, 386.0),
    "L2": (5.9, -133.0, 351.7),
    "L3": (4.9, -141.3, 315.7),
    "L4": (3.0, -140.0, 278.0),
    "L5": (1.3, -133.9, 242.3),
}
ABDOMEN_LABELS = {"T12": 32, "L1": 31, "L2": 30, "L3": 29, "L4": 28, "L5": 27}
LUMBAR_LABELS = {"L2": 21, "L3": 22, "L4": 23}
#: chest body centres along z (session notes), clicked at (-10, 125, z)
CHEST_BODY_Z = {"T7": -21.5, "T8": -45.0, "T9": -68.5, "T10": -92.0, "T11": -116.0, "T12": -140.0}
MOVES = [(0, 0, 0), (0, 0, 0.6), (0, 0, -3), (0, 0, 3), (0, -3, 0), (0, 3, 0), (-3, 0, 0), (3, 0, 0)]
FIGURES = ("sup sag", "sup cor", "inf sag", "inf cor", "left width", "right width")


def model_plane_tilts(ct: Volume, body: npt.NDArray[np.bool_]) -> dict[str, tuple[float, float]]:
    """Sagittal and coronal tilts (degrees) of planes through the top and bottom of a model body."""
    idx = np.argwhere(ndimage.binary_opening(body))
    lps = ct.index_to_lps_points(idx.astype(float))
    cols: dict[tuple[float, float], list[float]] = {}
    for key, z in zip(map(tuple, np.round(lps[:, :2], 1)), lps[:, 2], strict=True):
        cols.setdefault(key, []).append(float(z))
    heights = {k: max(v) - min(v) for k, v in cols.items()}
    med = float(np.median(list(heights.values())))
    good = [k for k, h in heights.items() if h >= 0.6 * med]
    xy = np.array(good)
    r = np.linalg.norm(xy - xy.mean(axis=0), axis=1)
    inner = [g for g, rr in zip(good, r, strict=True) if rr <= 0.7 * r.max()]
    out: dict[str, tuple[float, float]] = {}
    for name, pick in (("sup", max), ("inf", min)):
        pts = np.array([(k[0], k[1], pick(cols[k])) for k in inner])
        a_mat = np.c_[pts[:, 0], pts[:, 1], np.ones(len(pts))]
        (a, b, _), *_ = np.linalg.lstsq(a_mat, pts[:, 2], rcond=None)
        out[name] = (math.degrees(math.atan(-b)), math.degrees(math.atan(a)))
    return out


def figures_of(volume: Volume, click: npt.ArrayLike) -> dict[str, Any] | str:
    try:
        anatomy = find_vertebra(volume, np.asarray(click, dtype=np.float64))
    except (ValueError, VertebraNotFoundError) as exc:
        return f"refused: {str(exc)[:90]}"
    plates = vertebra_figures(anatomy)["endplates"]
    out: dict[str, Any] = {}
    for short, key in (("sup", "superior"), ("inf", "inferior")):
        plate = plates[key]
        out[f"{short} sag"] = plate.get("sagittal_tilt_deg") if plate.get("found") else None
        out[f"{short} cor"] = plate.get("coronal_tilt_deg") if plate.get("found") else None
        if plate.get("found") and "tilt_uncertainty_deg" in plate:
            out[f"{short} +-"] = plate["tilt_uncertainty_deg"]
            out[f"{short} from"] = plate.get("tilt_from")
        elif plate.get("tilt_not_measured"):
            out[f"{short} from"] = "not measured"
    for side, pedicle in anatomy.pedicles.items():
        out[f"{side.value} width"] = round(float(pedicle.min_width_mm), 1)
    return out


def spread(rows: list[dict[str, Any] | str]) -> dict[str, Any]:
    found = [r for r in rows if isinstance(r, dict)]
    out: dict[str, Any] = {}
    for key in FIGURES:
        vals = [float(v) for r in found if (v := r.get(key)) is not None]
        out[key] = (min(vals), max(vals), round(max(vals) - min(vals), 1)) if vals else None
    return out


Case = tuple[str, Volume, tuple[float, float, float], dict[str, Any] | None]
LabelledCase = tuple[str, Volume, tuple[float, float, float], npt.NDArray[np.bool_] | None]


def lumbar_bodies() -> list[tuple[str, Volume, npt.NDArray[np.bool_], tuple[float, float, float]]]:
    """lumbar-ct-labels' L2-L4: level, the CT, the labelled body (subregions 49 + 50 of the level's label)
    and that body's centroid (LPS mm), the click the studies use."""
    folder = DATA / "lumbar-ct-labels"
    ct = read_image(folder / "sub-ct_label-22_ct.nii.gz")
    sub = read_image(folder / "sub-ct_seg-subreg_label-22_msk.nii.gz").array
    vert = read_image(folder / "sub-ct_seg-vert_label-22_msk.nii.gz").array
    out = []
    for lev, label in LUMBAR_LABELS.items():
        truth = (vert == label) & np.isin(sub, [49, 50])
        c = ct.index_to_lps_points(np.argwhere(truth).mean(axis=0))
        out.append((lev, ct, truth, (float(c[0]), float(c[1]), float(c[2]))))
    return out


def cases_with_labels(which: str) -> list[LabelledCase]:
    """Each body: its name, the CT, the click and the labelled body (None on the chest: no labels)."""
    out: list[LabelledCase] = []
    if which in ("", "abdomen"):
        folder = DATA / "abdomen-pelvis-ct"
        ct = read_image(folder / "ct.nii.gz")
        bodies = read_image(folder / "vertebral-bodies-model.nii.gz").array > 0
        labels = read_image(folder / "labels-model.nii.gz").array
        for lev, click in ABDOMEN_CLICKS.items():
            out.append((f"abdomen {lev}", ct, click, bodies & (labels == ABDOMEN_LABELS[lev])))
    if which in ("", "lumbar"):
        for lev, ct, truth, centre in lumbar_bodies():
            out.append((f"lumbar {lev}", ct, centre, truth))
    if which in ("", "chest"):
        from imaging.load import load_volume

        chest = load_volume(DATA / "chest-ct-dicom").volume
        for lev, z in CHEST_BODY_Z.items():
            out.append((f"chest {lev}", chest, (-10.0, 125.0, z), None))
    return out


def cases(which: str) -> list[Case]:
    """Each body with its reference planes: "z" (z columns, :func:`model_plane_tilts`) and "axis" (the
    label's surface facing along the body's own axis, tests/benchmarks/endplate_truth.py)."""
    out: list[Case] = []
    for name, volume, click, label in cases_with_labels(which):
        model = (
            None
            if label is None
            else {"z": model_plane_tilts(volume, label), "axis": reference_tilts(volume, label)}
        )
        out.append((name, volume, click, model))
    return out


def compare(base_json: Path, branch_json: Path) -> None:
    """Per end plate: the sagittal / coronal tilt ranges over the clicks on the base and the branch, the
    branch's ± range, the reference planes, and the largest error of a branch click against the axis
    reference beside the largest ± (figures from two runs of :func:`main`)."""
    base, branch = json.loads(base_json.read_text()), json.loads(branch_json.read_text())
    for name, got in branch.items():
        model = got.get("model") or {}
        for short in ("sup", "inf"):
            cells = []
            for part, k in (("sag", 0), ("cor", 1)):
                key = f"{short} {part}"
                b, n = base.get(name, {}).get("spread", {}).get(key), got["spread"].get(key)
                if n is None:
                    continue
                ref = model.get("axis", {}).get(short)
                zref = model.get("z", {}).get(short)
                vals = [r[key] for r in got["rows"] if isinstance(r, dict) and r.get(key) is not None]
                err = f", worst error {max(abs(v - ref[k]) for v in vals):.1f}" if ref else ""
                cells.append(
                    f"{part} base {_range(b)} branch {_range(n)}"
                    + (f" axis-ref {ref[k]:+.1f}" if ref else "")
                    + (f" z-ref {zref[k]:+.1f}" if zref else "")
                    + err
                )
            pm = [r[f"{short} +-"] for r in got["rows"] if isinstance(r, dict) and r.get(f"{short} +-")]
            srcs = sorted({r.get(f"{short} from") for r in got["rows"] if isinstance(r, dict)} - {None})
            if cells:
                print(f"{name} {short}: " + "; ".join(cells) + f"; ± {_range_of(pm)} from {','.join(srcs)}")


def _range(s: Any) -> str:
    return "-" if s is None else f"{s[0]:+.1f}..{s[1]:+.1f} ({s[2]})"


def _range_of(vals: list[float]) -> str:
    return "none" if not vals else f"{min(vals):.1f}-{max(vals):.1f}"


def main() -> None:
    which = sys.argv[1] if len(sys.argv) > 1 else ""
    if which == "compare":
        compare(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    report: dict[str, Any] = {}
    for name, volume, click, model in cases(which):
        t0, c0 = time.perf_counter(), time.process_time()
        rows = []
        for move in MOVES:
            row = figures_of(volume, np.add(click, move))
            rows.append(row)
            print(f"{name} move {move}: {row}", flush=True)
        s = spread(rows)
        report[name] = {"rows": rows, "spread": s, "model": model}
        line = ", ".join(f"{k} {v[0]:+.1f}..{v[1]:+.1f} ({v[2]})" for k, v in s.items() if v is not None)
        print(f"== {name}: {line}", flush=True)
        for kind, planes in (model or {}).items():
            said = "; ".join(f"{k} sag {v[0]:+.1f} cor {v[1]:+.1f}" for k, v in planes.items())
            print(f"   {kind} reference plane: {said}", flush=True)
        cpu = time.process_time() - c0
        report[name]["cpu_s"] = round(cpu, 1)
        print(
            f"   ({time.perf_counter() - t0:.0f} s wall, {cpu:.1f} s CPU for {len(MOVES)} finds)", flush=True
        )
    out = Path(os.environ.get("SPREAD_OUT", "/tmp/endplate_click_spread")) / f"{which or 'all'}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
