"""Traced pedicle axes against the pedicle midline the images show (a study, not a test).

For each real vertebra the tests use, and each click, prints per side the traced axis (entry, target,
and the needle's craniocaudal and mediolateral angles as planning.trajectory_geometry defines them:
entry -> target, mediolateral positive towards the patient's left) and the same angles of the
pedicle's midline measured on the images by :func:`image_midline` (a method of its own, using none of
the program's pedicle code), and the difference. Also the narrowest width traced.

The image's midline (:func:`image_midline`), in axial planes (LPS, the planning angles' frame): on
rows along x (0.25 mm samples, trilinear on the CT, HU) from the canal's centre outwards, at every
0.5 mm of depth y and 1 mm of height z around the canal's centroid, the pedicle is the bone beside the
canal: its medial edge is the half-maximum between the canal's lowest value and the medial cortex's
peak (the first sample >= 300 HU), its lateral edge the half-maximum of the last cortex before the
row stays below 120 HU (soft tissue; a fatty marrow reads 40-100 HU but over less than the 5 mm asked)
for 5 mm, outwards. A row counts when it starts in the canal (< 150 HU: in front of the canal the
row runs in the body), lies between the body's centroid and 2 mm behind the canal's centroid (the
pedicle, not the lamina), and its width is 4-20 mm (CLINICAL.md: 3.4-17.8 mm safe zones; a wider run
is the transverse process's root or the lamina). Per axial plane, the midpoints of the rows (held only
in planes with at least 8 rows, 4 mm of depth) give the slope dx/dy by least squares; the midline's
mediolateral slope is the median over planes, weighted by rows; a plane counts where its longest bar
(rows at most 1 mm apart in depth, midpoints at most 1 mm apart across) is 8 mm long or more (planes
above and below the pedicle give short bars of other bone). The craniocaudal slope is that of
the mean height of the counted rows at each depth (the pedicle's vertical centre, rows through its
upper and lower cortex included) against depth: rough, printed for reference. The body's and canal's
centroids that place the rows come from the program's anatomy at the first click of each vertebra.

Run: ``PYTHONPATH=. /work/main/.venv/bin/python tests/benchmarks/pedicle_axis_study.py
[--cases case1,lumbar,abdomen,chest] [--plot DIR]`` (needs ../shared/data; about 2 s a click).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import SimpleITK as sitk
from scipy import ndimage

from imaging.load import load_volume
from imaging.vertebra import find_vertebra
from imaging.vertebra_model import Side, VertebraAnatomy
from imaging.volume import Volume, affine_from_geometry
from planning.trajectory_geometry import craniocaudal_deg, mediolateral_deg
from tests.imaging.case1_points import CASE1_CLICKS
from tests.imaging.test_vertebra_realdata import model_body

FloatArray = npt.NDArray[np.float64]

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"

#: rows along x: sample step, reach from the canal's centre (mm)
ROW_STEP_MM = 0.25
ROW_REACH_MM = 40.0
#: depth and height steps of the rows (mm); heights reached either side of the canal's centroid
DEPTH_STEP_MM = 0.5
HEIGHT_STEP_MM = 1.0
HEIGHT_REACH_MM = 12.0
#: a row starts in the canal below this (HU); the medial cortex is the first sample at or above
#: CORTEX_HU; the row has left bone where it stays below SOFT_HU for SOFT_RUN_MM
CANAL_HU = 150.0
CORTEX_HU = 300.0
SOFT_HU = 120.0
SOFT_RUN_MM = 5.0
#: accepted widths (mm) and rows behind the canal's centroid (mm)
WIDTH_RANGE_MM = (4.0, 20.0)
BEHIND_CANAL_MM = 2.0
#: least rows in a plane for its slope (8 mm of depth: a lumbar pedicle is 8-15 mm long)
MIN_ROWS = 16
#: rows of one bar: depth gaps and midline jumps between neighbouring rows at most (mm)
MAX_GAP_MM = 1.0
MAX_JUMP_MM = 1.0

#: chest clicks as tests/imaging/test_vertebra_pedicles_chest.py: (-10, 125, z) at the body centres
CHEST_Z_MM = {"T6": 1.0, "T7": -21.5, "T8": -45.0, "T9": -68.5, "T10": -92.0, "T11": -116.0, "T12": -140.0}
LUMBAR = {"L2": 21, "L3": 22, "L4": 23}
ABDOMEN = {"T12": 32, "L1": 31, "L2": 30, "L3": 29, "L4": 28, "L5": 27}


@dataclass(frozen=True)
class Midline:
    """The image's pedicle midline: points (LPS mm) and the needle-direction angles (deg)."""

    points_lps: FloatArray  # (n, 3) row midpoints counted
    craniocaudal_deg: float
    mediolateral_deg: float
    n_planes: int
    width_mm: float  # median over planes of the narrowest row, times cos(mediolateral): across the midline


def load_nifti(path: Path) -> Volume:
    image = sitk.ReadImage(str(path))
    matrix = affine_from_geometry(
        image.GetOrigin(), image.GetSpacing()[::-1], np.array(image.GetDirection()).reshape(3, 3)
    )
    return Volume(sitk.GetArrayFromImage(image), matrix)


def _sample(volume: Volume, pts: FloatArray) -> FloatArray:
    idx = volume.lps_to_index_points(pts.reshape(-1, 3)).T
    out = ndimage.map_coordinates(volume.array.astype(np.float32), idx, order=1, mode="nearest")
    return np.asarray(out, dtype=np.float64).reshape(pts.shape[:-1])


def _half_max(prof: FloatArray, i_from: int, i_to: int, level: float) -> float:
    """Fractional index where ``prof`` crosses ``level`` walking from ``i_from`` towards ``i_to``."""
    step = 1 if i_to > i_from else -1
    i = i_from
    while i != i_to and prof[i + step] >= level:
        i += step
    if i == i_to:
        return float(i)
    a, b = prof[i], prof[i + step]
    return float(i + step * (a - level) / (a - b))


def _row_edges(prof: FloatArray) -> tuple[float, float] | None:
    """Medial and lateral outer edges (in samples) of the pedicle on one row, or None."""
    if prof[0] >= CANAL_HU:
        return None
    over = np.flatnonzero(prof >= CORTEX_HU)
    if len(over) == 0:
        return None
    i_first = int(over[0])
    i_peak = i_first
    while i_peak + 1 < len(prof) and prof[i_peak + 1] >= prof[i_peak]:
        i_peak += 1
    low = float(prof[: i_first + 1].min())
    medial = _half_max(prof, i_peak, 0, 0.5 * (low + prof[i_peak]))
    run = round(SOFT_RUN_MM / ROW_STEP_MM)
    soft = prof < SOFT_HU
    i_end = None
    for i in range(i_peak, len(prof) - run):
        if soft[i : i + run].all():
            i_end = i
            break
    if i_end is None:
        return None
    back = max(i_peak, i_end - round(3.0 / ROW_STEP_MM))
    i_lat = back + int(np.argmax(prof[back : i_end + 1]))
    out_low = float(prof[i_end : i_end + run].min())
    lateral = _half_max(prof, i_lat, len(prof) - 1, 0.5 * (out_low + prof[i_lat]))
    return medial, lateral


def _smooth_run(plane: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The longest run of rows (depth, x) without a gap over ``MAX_GAP_MM`` in depth or a jump over
    ``MAX_JUMP_MM`` in x between neighbours: one bar of bone, not rows through other bones."""
    best: list[tuple[float, float]] = []
    run: list[tuple[float, float]] = []
    for y, x in plane:
        if run and (y - run[-1][0] > MAX_GAP_MM + 1e-9 or abs(x - run[-1][1]) > MAX_JUMP_MM):
            run = []
        run.append((y, x))
        if len(run) > len(best):
            best = list(run)
    return best


def image_midline(volume: Volume, side: Side, body_c: FloatArray, canal_c: FloatArray) -> Midline | None:
    """The pedicle's midline on the images (see the module's docstring), or None."""
    sgn = 1.0 if side is Side.LEFT else -1.0
    r = np.arange(0.0, ROW_REACH_MM + 1e-9, ROW_STEP_MM)
    ys = np.arange(body_c[1], canal_c[1] + BEHIND_CANAL_MM + 1e-9, DEPTH_STEP_MM)
    zs = np.arange(canal_c[2] - HEIGHT_REACH_MM, canal_c[2] + HEIGHT_REACH_MM + 1e-9, HEIGHT_STEP_MM)
    pts: list[tuple[float, float, float]] = []
    slopes: list[tuple[float, int]] = []
    narrowest: list[float] = []
    for z in zs:
        grid = np.stack(
            np.broadcast_arrays(canal_c[0] + sgn * r[None, :], ys[:, None], np.full((1, 1), z)), axis=-1
        )
        hu = _sample(volume, grid.astype(np.float64))
        plane: list[tuple[float, float]] = []
        plane_w: dict[float, float] = {}
        for y, prof in zip(ys, hu, strict=True):
            edges = _row_edges(prof)
            if edges is None:
                continue
            width = (edges[1] - edges[0]) * ROW_STEP_MM
            if not WIDTH_RANGE_MM[0] <= width <= WIDTH_RANGE_MM[1]:
                continue
            x_mid = canal_c[0] + sgn * 0.5 * (edges[0] + edges[1]) * ROW_STEP_MM
            plane.append((float(y), float(x_mid)))
            plane_w[float(y)] = width
        plane = _smooth_run(plane)
        if len(plane) >= MIN_ROWS:
            yy, xx = np.array(plane).T
            slopes.append((float(np.polyfit(yy, xx, 1)[0]), len(plane)))
            narrowest.append(min(plane_w[y] for y, _ in plane))
            pts.extend((x, y, float(z)) for y, x in plane)
    if not slopes:
        return None
    s_arr = np.array(slopes)
    order = np.argsort(s_arr[:, 0])
    cum = np.cumsum(s_arr[order, 1])
    dxdy = float(s_arr[order, 0][np.searchsorted(cum, 0.5 * cum[-1])])
    p = np.array(pts)
    depths = np.unique(p[:, 1])
    zc = np.array([p[p[:, 1] == y, 2].mean() for y in depths])
    dzdy = float(np.polyfit(depths, zc, 1)[0]) if len(depths) >= 2 else 0.0
    d = np.array([-dxdy, -1.0, -dzdy])  # the needle's way: towards the front (-y)
    ml = mediolateral_deg(d)
    width = float(np.median(narrowest)) * float(np.cos(np.radians(ml)))
    return Midline(p, craniocaudal_deg(d), ml, len(slopes), width)


def _cases(
    names: list[str],
) -> Iterator[tuple[str, Volume, list[tuple[str, tuple[float, float, float], str | None]]]]:
    if "case1" in names:
        ct = load_nifti(DATA / "bone-lesions" / "case1.nii.gz")
        yield "case1", ct, [(k, c, None) for k, c in CASE1_CLICKS.items()]
    if "lumbar" in names:
        folder = DATA / "lumbar-ct-labels"
        ct = load_nifti(folder / "sub-ct_label-22_ct.nii.gz")
        sub = load_nifti(folder / "sub-ct_seg-subreg_label-22_msk.nii.gz").array
        vert = load_nifti(folder / "sub-ct_seg-vert_label-22_msk.nii.gz").array
        for level, lab in LUMBAR.items():
            truth = (vert == lab) & np.isin(sub, [49, 50])
            click = ct.index_to_lps_points(np.argwhere(truth).mean(axis=0))
            yield f"lumbar {level}", ct, [("centroid", tuple(float(v) for v in click), None)]  # type: ignore[misc]
    if "abdomen" in names:
        folder = DATA / "abdomen-pelvis-ct"
        ct = load_nifti(folder / "ct.nii.gz")
        levels = load_nifti(folder / "labels-model.nii.gz").array
        bodies, _ = ndimage.label(load_nifti(folder / "vertebral-bodies-model.nii.gz").array == 1)
        for level, lab in ABDOMEN.items():
            truth = model_body(levels, bodies, lab)
            click = ct.index_to_lps_points(np.argwhere(truth).mean(axis=0))
            yield f"abdomen {level}", ct, [("centroid", tuple(float(v) for v in click), None)]  # type: ignore[misc]
    if "chest" in names:
        ct = load_volume(DATA / "chest-ct-dicom").volume
        for level, z in CHEST_Z_MM.items():
            yield f"chest {level}", ct, [("body", (-10.0, 125.0, z), level)]


def _fmt(p: tuple[float, float, float] | FloatArray) -> str:
    return "(" + ", ".join(f"{v:6.1f}" for v in p) + ")"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", default="case1,lumbar,abdomen,chest")
    parser.add_argument("--plot", type=Path, default=None, help="folder for overlay pictures")
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.stderr.write(f"{DATA} is absent\n")
        return 2
    out = sys.stdout
    out.write("angles deg (needle entry->target; ml + = towards patient left), widths mm\n")
    for name, ct, clicks in _cases(args.cases.split(",")):
        midlines: dict[Side, Midline | None] = {}
        for label, click, hint in clicks:
            anatomy: VertebraAnatomy = find_vertebra(ct, click, level_hint=hint)
            if not midlines:
                body_c, canal_c = np.array(anatomy.body_centroid_lps), np.array(anatomy.canal_centroid_lps)
                midlines = {s: image_midline(ct, s, body_c, canal_c) for s in (Side.LEFT, Side.RIGHT)}
                for s, m in midlines.items():
                    if m is not None and args.plot is not None:
                        _plot(ct, m, body_c, canal_c, args.plot / f"{name.replace(' ', '_')}_{s.value}.png")
            for side in (Side.LEFT, Side.RIGHT):
                m = midlines[side]
                img = (
                    "image -"
                    if m is None
                    else f"image cc {m.craniocaudal_deg:.1f} ml {m.mediolateral_deg:.1f} w {m.width_mm:.2f}"
                )
                ped = anatomy.pedicles.get(side)
                if ped is None:
                    out.write(f"{name:12s} {label:10s} {side.value:5s} not traced | {img}\n")
                    continue
                e, t = np.array(ped.axis_entry_lps), np.array(ped.axis_target_lps)
                cc, ml = craniocaudal_deg(t - e), mediolateral_deg(t - e)
                diff = (
                    ""
                    if m is None
                    else f" | d_ml {ml - m.mediolateral_deg:6.1f} d_cc {cc - m.craniocaudal_deg:6.1f}"
                )
                out.write(
                    f"{name:12s} {label:10s} {side.value:5s} entry {_fmt(e)} target {_fmt(t)} cc {cc:6.1f} "
                    f"ml {ml:6.1f} w {ped.min_width_mm:5.2f} | {img}{diff}\n"
                )
            out.flush()
    return 0


def _plot(ct: Volume, m: Midline, body_c: FloatArray, canal_c: FloatArray, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    z = float(np.median(m.points_lps[:, 2]))
    xs = np.arange(canal_c[0] - 35.0, canal_c[0] + 35.0, 0.5)
    ys = np.arange(body_c[1] - 20.0, canal_c[1] + 20.0, 0.5)
    grid = np.stack(np.broadcast_arrays(xs[None, :], ys[:, None], np.full((1, 1), z)), axis=-1)
    img = _sample(ct, grid.astype(np.float64))
    fig, ax = plt.subplots(figsize=(6, 6))
    ax.imshow(img, cmap="gray", vmin=-200, vmax=1200, extent=(xs[0], xs[-1], ys[-1], ys[0]))
    near = np.abs(m.points_lps[:, 2] - z) <= 0.5
    ax.plot(m.points_lps[near, 0], m.points_lps[near, 1], "r.", ms=3)
    ax.set_title(f"z {z:.0f}: ml {m.mediolateral_deg:.1f} deg")
    fig.savefig(path, dpi=80)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
