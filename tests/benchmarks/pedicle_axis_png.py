"""Axial pictures of a lumbar-ct-labels pedicle with its axes drawn (a study, not a test).

Draws, on four axial planes through the labels' isthmus (at -4.5, -1.5, +1.5 and +4.5 mm), the CT
(-100..900 HU), the outlines of label 41 (yellow) and of the body's labels 49/50 (orange), and three
lines in the axial projection: label 41's centreline (:func:`tests.benchmarks.pedicle_axis_truth.
truth_axis`, green), the image's own midline (:func:`tests.benchmarks.pedicle_axis_study.image_midline`,
magenta, with its row midpoints within 0.6 mm of the plane as dots) and the program's axis from a click
at the body's label centroid plus an offset (cyan). Each line's needle mediolateral angle (degrees,
positive towards the patient's left) is in the legend. It is for deciding by eye which line the
pedicle's walls follow where the labels and the image disagree.

Run (about 10 s)::

    PYTHONPATH=. /work/main/.venv/bin/python tests/benchmarks/pedicle_axis_png.py L4 right OUT.png [dx,dy,dz]

Without labels (any click of tests/benchmarks/pedicle_figures.py: bone-lesions case1, chest, abdomen, ...),
the program's axes from one or more ``pedicle_figures.py dump`` files (say two versions' dumps) are
drawn on the same four axial planes, taken through the first dump's isthmus, each with its isthmus as
a dot: to judge by eye which version's axis the pedicle's walls follow::

    PYTHONPATH=. /work/main/.venv/bin/python tests/benchmarks/pedicle_axis_png.py dumps "case1 click" left \
        OUT.png base=/tmp/base.pkl branch=/tmp/branch.pkl
"""

from __future__ import annotations

import math
import pickle
import sys
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.vertebra import find_vertebra
from imaging.vertebra_model import Side
from imaging.volume import Volume
from planning.trajectory_geometry import mediolateral_deg
from tests.benchmarks.pedicle_axis_study import image_midline
from tests.benchmarks.pedicle_axis_truth import DATA, LUMBAR, _points, load_nifti, truth_axis
from tests.benchmarks.pedicle_figures import cases

FloatArray = npt.NDArray[np.float64]

#: planes' heights from the labels' isthmus (mm), and the half-length of the lines drawn (mm)
PLANE_DZ_MM = (-4.5, -1.5, 1.5, 4.5)
LINE_HALF_MM = 25.0
#: the picture's field (mm either side of the isthmus) and sample step (mm)
FIELD_MM = 15.0
STEP_MM = 0.2
#: line colours for the dumps drawn, in the order given
DUMP_COLOURS = ("cyan", "red", "lime", "magenta")


def _line(point: FloatArray, ml_deg: float) -> FloatArray:
    """Two ends (x, y) of the axial line through ``point`` whose needle (anterior = -y) has the
    mediolateral angle ``ml_deg``."""
    d = np.array([math.sin(math.radians(ml_deg)), -math.cos(math.radians(ml_deg))])
    out: FloatArray = np.array([point[:2] - LINE_HALF_MM * d, point[:2] + LINE_HALF_MM * d])
    return out


def _plane(
    volume: Volume, field: npt.NDArray[np.float32], xx: FloatArray, yy: FloatArray, z: float
) -> FloatArray:
    pts = np.stack([xx, yy, np.full_like(xx, z)], axis=-1).reshape(-1, 3)
    idx = volume.lps_to_index_points(pts).T
    out = ndimage.map_coordinates(field, idx, order=1, mode="nearest")
    return np.asarray(out, dtype=np.float64).reshape(xx.shape)


def _ml(entry: FloatArray, target: FloatArray) -> float:
    return mediolateral_deg(np.asarray(target, dtype=np.float64) - np.asarray(entry, dtype=np.float64))


def dumps(case: str, side_name: str, out: Path, named: list[str]) -> int:
    """The axes of ``case``'s ``side_name`` pedicle in each ``name=dump.pkl`` of ``named`` on the CT."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    found = [c for c in cases(case) if c[0] == case]
    if not found:
        print(f"no click named {case!r} in tests/benchmarks/pedicle_figures.py")
        return 1
    volume = found[0][1]
    lines: list[tuple[str, FloatArray, FloatArray, float, str]] = []  # name, point, isthmus, ml, colour
    for (name, path), colour in zip((n.split("=", 1) for n in named), DUMP_COLOURS, strict=False):
        with Path(path).open("rb") as fh:
            ped = pickle.load(fh)[case].get("pedicles", {}).get(side_name)
        if ped is None:
            print(f"{name}: {case} {side_name} not traced")
            continue
        entry, target, width, isthmus = (np.asarray(x, dtype=np.float64) for x in ped[:4])
        ml = _ml(entry, target)
        print(f"{name}: {case} {side_name} mediolateral {ml:.1f} deg, width {float(width):.2f} mm")
        lines.append((f"{name} (width {float(width):.2f})", 0.5 * (entry + target), isthmus, ml, colour))
    if not lines:
        return 1
    centre = lines[0][2]
    xs = np.arange(centre[0] - FIELD_MM, centre[0] + FIELD_MM, STEP_MM)
    ys = np.arange(centre[1] - FIELD_MM, centre[1] + FIELD_MM, STEP_MM)
    xx, yy = np.meshgrid(xs, ys)
    hu = np.asarray(volume.array, dtype=np.float32)
    fig, axes = plt.subplots(2, 2, figsize=(16, 16))
    for ax, dz in zip(axes.ravel(), PLANE_DZ_MM, strict=True):
        z = float(centre[2]) + dz
        extent = (xs[0], xs[-1], ys[0], ys[-1])
        plane = _plane(volume, hu, xx, yy, z)
        ax.imshow(plane, cmap="gray", vmin=-100, vmax=900, origin="lower", extent=extent)
        for name, point, isthmus, ml, colour in lines:
            ends = _line(point, ml)
            ax.plot(ends[:, 0], ends[:, 1], colour, lw=1.2, label=f"{name} {ml:.1f}")
            ax.plot([isthmus[0]], [isthmus[1]], "o", color=colour, ms=4)
        _frame(ax, xs, ys, f"{case} {side_name}: axial z {z:.1f} (isthmus {dz:+.1f})")
    return _save(fig, axes, out)


def main() -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if sys.argv[1] == "dumps":
        return dumps(sys.argv[2], sys.argv[3], Path(sys.argv[4]), sys.argv[5:])
    level, side_name, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    side = Side.LEFT if side_name == "left" else Side.RIGHT
    offset = np.array([float(x) for x in sys.argv[4].split(",")]) if len(sys.argv) > 4 else np.zeros(3)
    folder = DATA / "lumbar-ct-labels"
    ct = load_nifti(folder / "sub-ct_label-22_ct.nii.gz")
    sub = load_nifti(folder / "sub-ct_seg-subreg_label-22_msk.nii.gz").array
    vertebra = load_nifti(folder / "sub-ct_seg-vert_label-22_msk.nii.gz").array == LUMBAR[level]
    body = vertebra & np.isin(sub, [49, 50])
    pedicle = vertebra & (sub == 41)
    truth = truth_axis(ct, vertebra=vertebra, body=body, bearing=pedicle, side=side)
    if truth is None:
        print(f"{level} {side_name}: no labelled pedicle clear of the body")
        return 1
    image = image_midline(ct, side, truth.c, truth.canal)
    click = _points(ct, body).mean(axis=0) + offset
    traced = find_vertebra(ct, click).pedicles.get(side)
    lines = {"label 41 centreline": (truth.point, mediolateral_deg(-truth.direction), "lime")}
    if image is not None:
        lines["image midline"] = (image.points_lps.mean(axis=0), image.mediolateral_deg, "magenta")
    if traced is not None:
        e, t = np.array(traced.axis_entry_lps), np.array(traced.axis_target_lps)
        lines[f"program, click {offset.tolist()}"] = (0.5 * (e + t), mediolateral_deg(t - e), "cyan")
    for name, (_, ml, _) in lines.items():
        print(f"{level} {side_name} {name}: mediolateral {ml:.1f} deg")
    xs = np.arange(truth.point[0] - FIELD_MM, truth.point[0] + FIELD_MM, STEP_MM)
    ys = np.arange(truth.point[1] - FIELD_MM, truth.point[1] + FIELD_MM, STEP_MM)
    xx, yy = np.meshgrid(xs, ys)
    hu, ped_f, body_f = (np.asarray(a, dtype=np.float32) for a in (ct.array, pedicle, body))
    fig, axes = plt.subplots(2, 2, figsize=(16, 16))
    for ax, dz in zip(axes.ravel(), PLANE_DZ_MM, strict=True):
        z = float(truth.point[2]) + dz
        extent = (xs[0], xs[-1], ys[0], ys[-1])
        ax.imshow(_plane(ct, hu, xx, yy, z), cmap="gray", vmin=-100, vmax=900, origin="lower", extent=extent)
        ax.contour(xx, yy, _plane(ct, ped_f, xx, yy, z), [0.5], colors="yellow", linewidths=0.7)
        ax.contour(xx, yy, _plane(ct, body_f, xx, yy, z), [0.5], colors="orange", linewidths=0.7)
        for name, (point, ml, colour) in lines.items():
            ends = _line(np.asarray(point), ml)
            ax.plot(ends[:, 0], ends[:, 1], colour, lw=1.2, label=f"{name} {ml:.1f}")
        if image is not None:
            near = image.points_lps[np.abs(image.points_lps[:, 2] - z) < 0.6]
            ax.plot(near[:, 0], near[:, 1], "m.", ms=2)
        _frame(ax, xs, ys, f"{level} {side_name}: axial z {z:.1f} (isthmus {dz:+.1f})")
    return _save(fig, axes, out)


def _frame(ax: Any, xs: np.ndarray, ys: np.ndarray, title: str) -> None:
    """Limits, title and axis names of one axial plane's panel."""
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_title(title)
    ax.set_xlabel("x (mm, patient left +)")
    ax.set_ylabel("y (mm, posterior +)")


def _save(fig: Any, axes: Any, out: Path) -> int:
    """The legend on the first panel, then the figure written to ``out``."""
    axes.ravel()[0].legend(loc="lower left", fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
