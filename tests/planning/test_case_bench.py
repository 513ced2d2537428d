"""Timings of mask edits and case files at CT size (slow; run with -s -m slow to see the figures)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from imaging.mask import Mask
from planning.case import Case, Section
from planning.case_io import load_case, save_case
from planning.commands import EditMask
from planning.history import History
from planning.model import LayerKind, MaskLayer


@pytest.mark.slow
def test_brush_and_file_timings_on_ct_sized_masks(tmp_path: Path) -> None:
    grid = (400, 512, 512)
    rng = np.random.default_rng(0)
    full = np.zeros(grid, dtype=bool)
    full[50:350, 100:400, 100:400] = rng.random((300, 300, 300)) < 0.3  # worst case: 27 MB noisy box
    case = Case()
    case.add(Section.LAYERS, MaskLayer.new("bone", LayerKind.BONE, Mask.from_full(full)))
    zz, yy, xx = np.ogrid[: grid[0], : grid[1], : grid[2]]
    solid = ((zz - 200) / 150) ** 2 + ((yy - 256) / 120) ** 2 + ((xx - 256) / 120) ** 2 <= 1
    case.add(Section.LAYERS, MaskLayer.new("body", LayerKind.BODY, Mask.from_full(solid)))
    del full, solid
    h = History(case)
    dab = np.ones((7, 7, 7), dtype=bool)
    t0 = time.perf_counter()
    for i in range(20):
        h.push(EditMask.patch("bone", (200, 150 + i * 2, 200), dab, stroke_id=1))
    dab_ms = (time.perf_counter() - t0) / 20 * 1000
    t0 = time.perf_counter()
    h.undo()
    undo_ms = (time.perf_counter() - t0) * 1000
    path = tmp_path / "big.osteoplan"
    t0 = time.perf_counter()
    save_case(case, path)
    save_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    loaded = load_case(path)
    load_s = time.perf_counter() - t0
    assert loaded == case
    print(
        f"\nbrush dab (7^3) on a 300^3 mask box: {dab_ms:.1f} ms; undo of a 20-dab stroke {undo_ms:.1f} ms; "
        f"save {save_s:.2f} s, load {load_s:.2f} s, file {path.stat().st_size / 1e6:.2f} MB"
    )
    # the figures are printed, not asserted (performance is measured, not asserted in unit tests); the
    # stroke's redraw is measured against other tools in tests/benchmarks
