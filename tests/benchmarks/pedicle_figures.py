"""Study (not run in CI): every pedicle figure from a set of real-data clicks, dumped to compare two versions.

Run from any checkout, once per version, then compare the two dumps::

    PYTHONPATH=<checkout> .venv/bin/python tests/benchmarks/pedicle_figures.py dump <checkout> <out.pkl>
    .venv/bin/python tests/benchmarks/pedicle_figures.py compare <old.pkl> <new.pkl>

Clicks: abdomen-pelvis-ct L1-L5 and lumbar-ct-labels L2-L4 at their bodies' label centroids (as
tests/imaging/test_vertebra_realdata.py), chest-ct-dicom T7-T12 at (-10, 125, z) (as
tests/imaging/test_vertebra_pedicles_chest.py), bone-lesions case1 at its named points
(tests/imaging/case1_points.py) and case7 at lesion box 2's centre
(tests/imaging/test_vertebra_pedicles_case7.py).
For each click and side the raw :class:`imaging.vertebra_pedicles.PedicleResult` (width, isthmus, entry,
target, direction, ROI mask, note) and the pedicle as the anatomy reports it (source-grid mask) are kept.
Positions LPS mm.
"""

from __future__ import annotations

import csv
import pickle
import sys
from pathlib import Path
from typing import Any

import numpy as np

#: ../shared/data beside the checkout
DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
ABDOMEN = {"L1": 31, "L2": 30, "L3": 29, "L4": 28, "L5": 27}
LUMBAR = {"L2": 21, "L3": 22, "L4": 23}
CHEST_Z_MM = {"T7": -21.5, "T8": -45.0, "T9": -68.5, "T10": -92.0, "T11": -116.0, "T12": -140.0}
CASE1_CLICKS = {
    "click": (20.0, 165.0, -547.0),
    "seed": (24.45, 169.88, -547.54),
    "upper left": (18.0, 160.0, -552.0),
    "centre": (12.0, 155.0, -556.0),
    "anterior": (8.0, 150.0, -550.0),
}


def _sitk_volume(path: Path) -> Any:
    import SimpleITK as sitk

    from imaging.volume import Volume, affine_from_geometry

    image = sitk.ReadImage(str(path))
    matrix = affine_from_geometry(
        image.GetOrigin(), image.GetSpacing()[::-1], np.array(image.GetDirection()).reshape(3, 3)
    )
    return Volume(sitk.GetArrayFromImage(image), matrix)


def cases(dataset: str = "") -> list[tuple[str, Any, np.ndarray]]:
    """``(name, volume, click_lps)`` for every click, or only those whose name starts with ``dataset``
    (abdomen, lumbar, chest, case1, case7: only that dataset is loaded)."""
    out: list[tuple[str, Any, np.ndarray]] = []
    for name, load in (
        ("abdomen", _abdomen),
        ("lumbar", _lumbar),
        ("chest", _chest),
        ("case1", _case1),
        ("case7", _case7),
    ):
        if name.startswith(dataset) or dataset.startswith(name):
            out.extend(c for c in load() if c[0].startswith(dataset))
    return out


def _abdomen() -> list[tuple[str, Any, np.ndarray]]:
    from scipy import ndimage

    from tests.imaging.test_vertebra_realdata import model_body

    out: list[tuple[str, Any, np.ndarray]] = []
    folder = DATA / "abdomen-pelvis-ct"
    ct = _sitk_volume(folder / "ct.nii.gz")
    levels = _sitk_volume(folder / "labels-model.nii.gz").array
    bodies, _ = ndimage.label(_sitk_volume(folder / "vertebral-bodies-model.nii.gz").array == 1)
    for name, label in ABDOMEN.items():
        truth = model_body(levels, bodies, label)
        out.append((f"abdomen {name}", ct, ct.index_to_lps_points(np.argwhere(truth).mean(axis=0))))
    return out


def _lumbar() -> list[tuple[str, Any, np.ndarray]]:
    out: list[tuple[str, Any, np.ndarray]] = []
    folder = DATA / "lumbar-ct-labels"
    ct = _sitk_volume(folder / "sub-ct_label-22_ct.nii.gz")
    sub = _sitk_volume(folder / "sub-ct_seg-subreg_label-22_msk.nii.gz").array
    vert = _sitk_volume(folder / "sub-ct_seg-vert_label-22_msk.nii.gz").array
    for name, label in LUMBAR.items():
        truth = (vert == label) & np.isin(sub, [49, 50])
        out.append((f"lumbar {name}", ct, ct.index_to_lps_points(np.argwhere(truth).mean(axis=0))))
    return out


def _chest() -> list[tuple[str, Any, np.ndarray]]:
    from imaging.load import load_volume

    chest = load_volume(DATA / "chest-ct-dicom").volume
    return [(f"chest {name}", chest, np.array((-10.0, 125.0, z))) for name, z in CHEST_Z_MM.items()]


def _case1() -> list[tuple[str, Any, np.ndarray]]:
    case1 = _sitk_volume(DATA / "bone-lesions" / "case1.nii.gz")
    return [(f"case1 {name}", case1, np.array(click)) for name, click in CASE1_CLICKS.items()]


def _case7() -> list[tuple[str, Any, np.ndarray]]:
    from imaging.load import load_volume

    folder = DATA / "bone-lesions"
    with (folder / "lesion-boxes.csv").open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["image_path"] == "case7.nii.gz"]
    centre = np.array([float(rows[1][k]) for k in ("x", "y", "z")])
    return [("case7 box 2", load_volume(folder / "case7.nii.gz").volume, centre)]


def dump(out_path: Path) -> None:
    import imaging.vertebra as vertebra

    raw: list[Any] = []
    original = vertebra.find_pedicle

    def recording(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        raw.append(result)
        return result

    vertebra.find_pedicle = recording  # type: ignore[assignment]
    print("imaging from", Path(vertebra.__file__).parent, flush=True)
    figures: dict[str, Any] = {}
    for name, volume, click in cases():
        raw.clear()
        try:
            anatomy = vertebra.find_vertebra(volume, click)
        except ValueError as exc:  # a click refused says so the same way in both versions
            figures[name] = {"refused": str(exc)}
            continue
        peds = {
            side.value: (p.axis_entry_lps, p.axis_target_lps, p.min_width_mm, p.isthmus_lps,
                         None if p.mask is None else p.mask.voxel_indices())
            for side, p in anatomy.pedicles.items()
        }  # fmt: skip
        results = [
            None
            if r is None
            else (r.side.value, r.entry_lps, r.target_lps, r.isthmus_lps, r.min_width_mm, r.direction_lps,
                  np.argwhere(r.mask), r.n_sections, r.note)
            for r in raw
        ]  # fmt: skip
        figures[name] = {"pedicles": peds, "raw": results, "notes": list(anatomy.notes)}
        print(name, {k: round(v[2], 3) for k, v in peds.items()}, flush=True)
    with out_path.open("wb") as fh:
        pickle.dump(figures, fh)


def _diff(a: Any, b: Any, where: str, report: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            report.append(f"{where}: keys {sorted(a)} vs {sorted(b)}")
        for k in a.keys() & b.keys():
            _diff(a[k], b[k], f"{where}/{k}", report)
    elif isinstance(a, list | tuple) and isinstance(b, list | tuple):
        if len(a) != len(b):
            report.append(f"{where}: length {len(a)} vs {len(b)}")
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            _diff(x, y, f"{where}[{i}]", report)
    elif isinstance(a, np.ndarray | float) or isinstance(b, np.ndarray | float):
        x, y = np.asarray(a), np.asarray(b)
        if x.shape != y.shape:
            report.append(f"{where}: shape {x.shape} vs {y.shape}")
        elif not np.array_equal(x, y):
            report.append(f"{where}: max difference {np.abs(x.astype(float) - y.astype(float)).max():.3g}")
    elif a != b:
        report.append(f"{where}: {a!r} vs {b!r}")


def compare(old_path: Path, new_path: Path) -> int:
    with old_path.open("rb") as fh:
        old = pickle.load(fh)
    with new_path.open("rb") as fh:
        new = pickle.load(fh)
    report: list[str] = []
    _diff(old, new, "", report)
    n_peds = sum(len(v.get("pedicles", {})) for v in old.values())
    print(f"{len(old)} clicks, {n_peds} pedicles traced; differences: {len(report)}")
    for line in report:
        print(" ", line)
    return 1 if report else 0


if __name__ == "__main__":
    if sys.argv[1] == "dump":
        sys.path.insert(0, sys.argv[2])
        dump(Path(sys.argv[3]))
    else:
        raise SystemExit(compare(Path(sys.argv[2]), Path(sys.argv[3])))
