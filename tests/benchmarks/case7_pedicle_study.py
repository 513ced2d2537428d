"""case7's upper thoracic pedicles from clicks around lesion box 2's centre (a study, not a test).

bone-lesions case7, lesion box 2 (an upper thoracic body at the cervicothoracic junction). For clicks
on a grid around the box centre (offsets along x, y and z, one axis at a time), prints the body (mL,
height), the canal (area, centroid) and each pedicle's narrowest width, isthmus and axis direction, or
the reason the anatomy search gave for not tracing it. With ``--images DIR`` it also writes, for the
centre click, planes normal to the body's axis (the end plates' plane, in which the pedicles run) at
several heights with the body (green), canal (cyan), the bone the pedicles are looked for in (yellow)
and the traced axes (red left, magenta right), and HU profiles along the chords that the module
docstring of tests/imaging/test_vertebra_pedicles_case7.py used for its hand measurement. Positions LPS
mm; ``u`` along the patient's left, ``t`` posterior, heights along the body's axis, all from its
centroid.

Run: ``PYTHONPATH=. .venv/bin/python tests/benchmarks/case7_pedicle_study.py [--steps -2,-1,1,2]
[--images DIR]`` (needs ../shared/data; a few seconds a click).
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

import imaging.vertebra as vertebra
from imaging.load import load_volume
from imaging.vertebra_model import Side, VertebraAnatomy
from imaging.vertebra_roi import sample_source_hu
from imaging.volume import Volume

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "bone-lesions"
#: the hand measurement's chords: (height, u0, t0, u1, t1) mm, canal's wall to the tissue beside
CHORDS = {
    "right": ((5.0, -11.0, 11.0, -19.3, 7.0), (6.0, -11.0, 11.0, -19.3, 7.0), (7.0, -10.7, 10.5, -19.2, 7.5)),
    "left": ((4.0, 9.3, 11.5, 16.5, 7.5), (5.0, 9.2, 11.5, 16.7, 7.5), (6.0, 9.0, 11.3, 17.0, 7.2),
             (7.0, 8.6, 11.0, 17.2, 6.8)),
}  # fmt: skip


def _centre() -> np.ndarray:
    with (DATA / "lesion-boxes.csv").open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["image_path"] == "case7.nii.gz"]
    return np.array([float(rows[1][k]) for k in ("x", "y", "z")])


def _find(volume: Volume, click: np.ndarray) -> tuple[VertebraAnatomy, dict[str, Any]]:
    """The anatomy, and the frame, ROI, pedicle bone and body the pedicle search was given."""
    seen: dict[str, Any] = {}
    original = vertebra.find_pedicle

    def spy(side: Side, volume: Volume, roi: Any, **kwargs: Any) -> Any:
        seen.update(roi=roi, **kwargs)
        return original(side, volume, roi, **kwargs)

    vertebra.find_pedicle = spy  # type: ignore[assignment]
    try:
        return vertebra.find_vertebra(volume, click), seen
    finally:
        vertebra.find_pedicle = original


def _row(offset: np.ndarray, anatomy: VertebraAnatomy) -> str:
    text = (
        f"{offset.tolist()!s:18s} body {anatomy.body_volume_ml:5.1f} mL {anatomy.body_height_mm:4.1f} mm, "
        f"canal {anatomy.canal_area_mm2:3.0f} mm2 at {np.round(anatomy.canal_centroid_lps, 1).tolist()}"
    )
    for side in (Side.LEFT, Side.RIGHT):
        p = anatomy.pedicles.get(side)
        if p is None:
            why = [n for n in anatomy.notes if n.startswith(f"{side.value} pedicle not traced")]
            text += f"\n    {side.value}: {why[0] if why else 'not traced'}"
            continue
        d = np.subtract(p.axis_entry_lps, p.axis_target_lps)
        d = d / np.linalg.norm(d)
        text += (
            f"\n    {side.value}: {p.min_width_mm:5.2f} mm, isthmus {np.round(p.isthmus_lps, 1).tolist()}, "
            f"axis {np.round(d, 2).tolist()}"
        )
    return text


def _images(volume: Volume, anatomy: VertebraAnatomy, seen: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frame, roi = seen["frame"], seen["roi"]
    c, a, p, lft = frame.centroid_lps, frame.axis, frame.posterior, frame.left
    us, ts = np.arange(-35.0, 35.01, 0.25), np.arange(-20.0, 45.01, 0.25)
    tt, uu = np.meshgrid(ts, us, indexing="ij")
    canal = anatomy.canal.to_full().astype(np.float32)
    heights = (0.0, 2.0, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0)
    fig, axs = plt.subplots(2, 4, figsize=(18, 9))
    for ax, h in zip(axs.ravel(), heights, strict=True):
        pts = c + h * a + tt[..., None] * p + uu[..., None] * lft
        ax.imshow(sample_source_hu(volume, pts), cmap="gray", vmin=-200, vmax=1200, extent=(-35, 35, 45, -20))
        ax.contour(uu, tt, roi.sample(seen["solid"], pts), [0.5], colors="yellow", linewidths=0.6)
        ax.contour(uu, tt, roi.sample(seen["body"], pts), [0.5], colors="lime", linewidths=0.8)
        idx = volume.lps_to_index_points(pts.reshape(-1, 3)).T
        ax.contour(
            uu, tt, ndimage.map_coordinates(canal, idx, order=1).reshape(tt.shape), [0.5], colors="cyan"
        )
        for side, colour in ((Side.LEFT, "red"), (Side.RIGHT, "magenta")):
            axis = anatomy.pedicles.get(side)
            if axis is None:
                continue
            e, g = np.subtract(axis.axis_entry_lps, c), np.subtract(axis.axis_target_lps, c)
            ax.plot([g @ lft, e @ lft], [g @ p, e @ p], "-", color=colour, lw=0.8)
        ax.set_title(f"height {h:+.0f} mm (u: patient left ->, t: posterior down)", fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "case7_pedicle_planes.png", dpi=80)
    chords = [(side, spec) for side, specs in CHORDS.items() for spec in specs]
    fig, axs = plt.subplots(len(chords), 1, figsize=(9, 2.4 * len(chords)))
    for ax, (side, (h, u0, t0, u1, t1)) in zip(axs, chords, strict=True):
        start, end = np.array([u0, t0]), np.array([u1, t1])
        length = float(np.linalg.norm(end - start))
        s = np.arange(-4.0, length + 4.0 + 1e-9, 0.05)
        ut = start + s[:, None] * (end - start) / length
        ax.plot(s, sample_source_hu(volume, c + h * a + ut[:, :1] * lft + ut[:, 1:] * p))
        ax.set_title(f"{side}, height {h:+.0f} mm: ({u0}, {t0}) -> ({u1}, {t1}) (u, t mm)", fontsize=8)
        ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "case7_pedicle_chords.png", dpi=80)
    print(f"images written to {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="-2,-1,1,2", help="offsets along each axis, mm")
    parser.add_argument("--images", type=Path, default=None, help="folder for the PNG images")
    args = parser.parse_args()
    volume = load_volume(DATA / "case7.nii.gz").volume
    centre = _centre()
    offsets = [np.zeros(3)]
    for axis in range(3):
        for step in (float(v) for v in args.steps.split(",")):
            offset = np.zeros(3)
            offset[axis] = step
            offsets.append(offset)
    for offset in offsets:
        anatomy, seen = _find(volume, centre + offset)
        print(_row(offset, anatomy))
        if args.images is not None and not offset.any():
            args.images.mkdir(parents=True, exist_ok=True)
            _images(volume, anatomy, seen, args.images)


if __name__ == "__main__":
    main()
