"""Study (not run in CI): which vertebra clicks are accepted and which refused (imaging.click_place).

Run from a checkout::

    PYTHONPATH=. .venv/bin/python tests/benchmarks/click_place_figures.py body|canal|lytic

- ``body``: the 20 real clicks of tests/benchmarks/pedicle_figures.py, each moved as in
  tests/imaging/test_vertebra_click.py (8 mm left / right, 5 mm anterior / posterior / cranial / caudal)
  on the abdomen, lumbar and chest bodies, and case7's three lesion boxes: a click in a body is accepted.
- ``canal``: for each of those 20 bodies found, its canal's centroid and points 3 mm to either side, 4 mm
  in front and behind, 5 and 10 mm up and down: a click in the canal is refused.
- ``lytic``: lytic spheres (30 HU, every voxel denser set to it) painted into the abdomen L1-L5,
  lumbar L3, chest T7-T12 and case1 bodies, clicked at their centres: at the body's centroid (6 and 10
  mm), 8 mm behind and in front of it (6 mm), at the superior end plate, on the posterior wall's band
  and 3 mm in front of it (5 mm): accepted.

Prints one line per click: ``OK``, ``REFUSED`` (the search's own refusal) or ``NOT-IN-BODY`` (a
:class:`imaging.vertebra_errors.ClickNotInBodyError`), then the counts. Positions LPS mm.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from collections.abc import Iterator
from typing import Any

import numpy as np

from tests.benchmarks.pedicle_figures import DATA
from tests.imaging.test_vertebra_click import OFFSETS_MM

CANAL_OFFSETS_MM = {
    "centroid": (0.0, 0.0, 0.0),
    "x+3": (3.0, 0.0, 0.0),
    "x-3": (-3.0, 0.0, 0.0),
    "y-4": (0.0, -4.0, 0.0),
    "y+4": (0.0, 4.0, 0.0),
    "z+5": (0.0, 0.0, 5.0),
    "z-5": (0.0, 0.0, -5.0),
    "z+10": (0.0, 0.0, 10.0),
    "z-10": (0.0, 0.0, -10.0),
}


def _body_clicks() -> Iterator[tuple[str, Any, np.ndarray]]:
    from imaging.load import load_volume
    from tests.benchmarks.pedicle_figures import cases

    base = cases()
    yield from base
    for name, volume, click in base:
        if name.split()[0] in ("abdomen", "lumbar", "chest"):
            for moved, offset in OFFSETS_MM.items():
                yield f"{name} {moved}", volume, click + np.array(offset)
    case7 = load_volume(DATA / "bone-lesions" / "case7.nii.gz").volume
    with (DATA / "bone-lesions" / "lesion-boxes.csv").open() as fh:
        for i, row in enumerate(r for r in csv.DictReader(fh) if r["image_path"] == "case7.nii.gz"):
            yield f"case7 lesion box {i + 1}", case7, np.array([float(row[k]) for k in "xyz"])


def _canal_clicks() -> Iterator[tuple[str, Any, np.ndarray]]:
    from imaging.vertebra import find_vertebra
    from imaging.vertebra_errors import VertebraNotFoundError
    from tests.benchmarks.pedicle_figures import cases

    for name, volume, click in cases():
        try:
            canal = np.asarray(find_vertebra(volume, click).canal_centroid_lps)
        except VertebraNotFoundError:
            continue
        for moved, offset in CANAL_OFFSETS_MM.items():
            yield f"{name} canal {moved}", volume, canal + np.array(offset)


def _painted(volume: Any, centre: np.ndarray, radius_mm: float, hu: float = 30.0) -> Any:
    """The CT with every voxel within ``radius_mm`` of ``centre`` and denser than ``hu`` set to ``hu``."""
    from imaging.volume import Volume

    at = volume.lps_to_index_points(centre)
    reach = radius_mm / min(volume.spacing_mm) + 2.0
    lo = np.maximum(np.floor(at - reach).astype(int), 0)
    hi = np.minimum(np.ceil(at + reach).astype(int) + 1, volume.shape)
    index = np.indices(hi - lo).reshape(3, -1).T + lo
    near = index[
        np.linalg.norm(volume.index_to_lps_points(index.astype(float)) - centre, axis=1) <= radius_mm
    ]
    array = volume.array.astype(np.float32)
    values = array[near[:, 0], near[:, 1], near[:, 2]]
    array[near[:, 0], near[:, 1], near[:, 2]] = np.minimum(values, hu)
    return Volume(array, volume.index_to_lps)


def _lytic_clicks() -> Iterator[tuple[str, Any, np.ndarray]]:
    from imaging.vertebra import find_vertebra
    from tests.benchmarks.pedicle_figures import cases

    for name, volume, click in cases():
        if name.split()[0] == "case7" or name in ("lumbar L2", "lumbar L4") or "seed" in name:
            continue
        if name.startswith("case1") and name != "case1 click":
            continue
        anatomy = find_vertebra(volume, click)
        c = np.asarray(anatomy.body_centroid_lps)
        back = np.asarray(anatomy.canal_centroid_lps) - c
        back[2] = 0.0
        back /= np.linalg.norm(back)
        band = volume.index_to_lps_points(np.argwhere(anatomy.posterior_wall.to_full()).astype(float))
        mid = band[np.abs(band[:, 2] - c[2]) <= 2.0]
        wall = mid[int(np.argmax((mid - c) @ back))] if len(mid) else c + 10.0 * back
        spots = {
            "centroid r6": (c, 6.0),
            "centroid r10": (c, 10.0),
            "8 behind r6": (c + 8.0 * back, 6.0),
            "8 in front r6": (c - 8.0 * back, 6.0),
            "superior end plate r6": (c + np.array([0.0, 0.0, 0.5 * anatomy.body_height_mm]), 6.0),
            "wall band r5": (wall, 5.0),
            "3 in front of the wall r5": (wall - 3.0 * back, 5.0),
        }
        for spot, (centre, radius) in spots.items():
            yield f"{name} lytic {spot}", _painted(volume, centre, radius), centre


def main(which: str) -> None:
    from imaging.vertebra import find_vertebra
    from imaging.vertebra_errors import ClickNotInBodyError, VertebraNotFoundError

    clicks = {"body": _body_clicks, "canal": _canal_clicks, "lytic": _lytic_clicks}[which]()
    counts: Counter[str] = Counter()
    for name, volume, click in clicks:
        try:
            anatomy = find_vertebra(volume, click)
            outcome = f"OK body {anatomy.body_volume_ml:.1f} mL"
        except ClickNotInBodyError as exc:
            outcome = f"NOT-IN-BODY {exc.reason}"
        except VertebraNotFoundError as exc:
            outcome = f"REFUSED {exc.reason}"
        counts[outcome.split()[0]] += 1
        print(f"{name}: {outcome}", flush=True)
    print(dict(counts))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "body")
