"""Study (not run in CI): sagittal and coronal sections through a body with its end plate planes drawn, to
check by eye the label reference (tests/benchmarks/endplate_truth.py, green), the planes the anatomy search
finds at the body's click (red) and, where given, the planes it finds at moved clicks (orange).

    PYTHONPATH=. nice -n 10 /work/main/.venv/bin/python tests/benchmarks/endplate_truth_png.py OUT [CASE ...]

CASE is e.g. "abdomen L5", "lumbar L3", "chest T7" (all bodies of tests/benchmarks/endplate_click_spread.py
when left out). Sections pass through the label's centroid (chest: the click) along the scan's LPS axes,
sampled every 0.5 mm, shown at a bone window (-200..1000 HU); the label's outline is drawn in blue.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt

from imaging.vertebra import find_vertebra
from imaging.vertebra_roi import sample_source_hu
from imaging.volume import Volume
from tests.benchmarks.endplate_click_spread import MOVES, cases_with_labels
from tests.benchmarks.endplate_truth import ReferencePlate, reference_plates

HALF_MM = 40.0
STEP_MM = 0.5


def _section(volume: Volume, centre: npt.NDArray[np.float64], across: int) -> tuple[Any, Any, Any]:
    """HU on the plane through ``centre`` square to LPS axis ``across`` (0: sagittal, 1: coronal)."""
    s = np.arange(-HALF_MM, HALF_MM + 1e-9, STEP_MM)
    horiz = 1 if across == 0 else 0
    grid = np.zeros((len(s), len(s), 3))
    grid[...] = centre
    grid[..., horiz] += s[None, :]
    grid[..., 2] += s[::-1, None]
    return grid, sample_source_hu(volume, grid), horiz


def _line(ax: Any, grid: Any, horiz: int, centre: Any, normal: Any, colour: str, style: str = "-") -> None:
    """Where a plane (``centre``, ``normal``) crosses the section, drawn over the image (pixels)."""
    g0 = grid[0, 0]
    h = np.linspace(grid[0, 0, horiz], grid[0, -1, horiz], 50)
    fixed = 1 - horiz if horiz in (0, 1) else 0
    const = normal[fixed] * (g0[fixed] - centre[fixed])
    if abs(normal[2]) < 1e-6:
        return
    z = centre[2] - (normal[horiz] * (h - centre[horiz]) + const) / normal[2]
    col = (h - grid[0, 0, horiz]) / STEP_MM
    row = (grid[0, 0, 2] - z) / STEP_MM
    ax.plot(col, row, style, color=colour, lw=1.2)


def draw(name: str, volume: Volume, click: Any, label: Any, out: Path, moved: bool) -> None:
    ref = reference_plates(volume, label) if label is not None else {}
    centre = (
        volume.index_to_lps_points(np.argwhere(label).mean(axis=0, keepdims=True))[0]
        if label is not None
        else np.asarray(click, dtype=np.float64)
    )
    ours = [find_vertebra(volume, np.asarray(click, dtype=np.float64)).endplate_planes]
    if moved:
        for move in MOVES[1:]:
            try:
                ours.append(find_vertebra(volume, np.add(click, move)).endplate_planes)
            except ValueError:
                continue
    fig, axes = plt.subplots(1, 2, figsize=(12, 6))
    for ax, across, title in ((axes[0], 0, "sagittal (anterior left)"), (axes[1], 1, "coronal (right left)")):
        grid, hu, horiz = _section(volume, centre, across)
        ax.imshow(hu, cmap="gray", vmin=-200, vmax=1000)
        if label is not None:
            idx = np.rint(volume.lps_to_index_points(grid)).astype(int)
            inside = np.all((idx >= 0) & (idx < np.array(volume.shape)), axis=-1)
            lab = np.zeros(hu.shape, dtype=bool)
            lab[inside] = label[tuple(idx[inside].T)]
            ax.contour(lab, levels=[0.5], colors="tab:blue", linewidths=0.7)
        for k, planes in enumerate(ours):
            for plane in planes.values():
                colour, style = ("red", "-") if k == 0 else ("orange", ":")
                _line(ax, grid, horiz, np.array(plane.center_lps), np.array(plane.normal_lps), colour, style)
        for key in ("sup", "inf"):
            plate = ref.get(key)
            if isinstance(plate, ReferencePlate):
                _line(ax, grid, horiz, plate.centre, plate.normal, "lime", "--")
        ax.set_title(f"{name}: {title}")
        ax.set_xlim(0, hu.shape[1] - 1)
        ax.set_ylim(hu.shape[0] - 1, 0)
    words = []
    for key, plane in ours[0].items():
        words.append(f"ours {key} sag {plane.sagittal_tilt_deg:+.1f} cor {plane.coronal_tilt_deg:+.1f}")
    for key in ("sup", "inf"):
        plate = ref.get(key)
        if isinstance(plate, ReferencePlate):
            words.append(f"ref {key} sag {plate.sagittal_deg:+.1f} cor {plate.coronal_deg:+.1f}")
    fig.suptitle("; ".join(words), fontsize=9)
    fig.tight_layout()
    fig.savefig(out / f"{name.replace(' ', '_')}.png", dpi=90)
    plt.close(fig)
    print(name, "; ".join(words), flush=True)


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    wanted = set(sys.argv[2:])
    for name, volume, click, label in cases_with_labels(""):
        if wanted and name not in wanted:
            continue
        draw(name, volume, click, label, out, moved=name.startswith("chest"))


if __name__ == "__main__":
    main()
