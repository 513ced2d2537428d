"""Real-data end plate cases shared by the end plate tests: the bodies, their clicks, each click's planes and
each labelled body's reference planes, found once per test run.

The reference is tests/benchmarks/endplate_truth.py (session 27): each plate fitted to the label's surface
points whose outward normal lies within 30 degrees of the body's own axis. It replaces session 26's planes
through the top and bottom of the label's z columns (tests/benchmarks/endplate_click_spread.py
``model_plane_tilts``), which end on a leaning body's front or back face: abdomen L5 inferior -11.0 there
against -37.5 along the axis and -37.2..-36.9 read on the CT at 8 clicks; T12 inferior +13.9 against +17.9.

A find takes 3-8 s on this machine, so each (dataset, level, move) is found once per pytest process
(functools.cache) and shared by the test files that ask for it; the files are read once per run with
test_vertebra_realdata's (tests/imaging/real_volumes.py). Positions LPS mm, angles degrees.
"""

from __future__ import annotations

import functools
import itertools
from pathlib import Path

import numpy as np
import numpy.typing as npt

from imaging.endplate_plane import EndplatePlane
from imaging.vertebra import find_vertebra
from imaging.vertebra_errors import VertebraNotFoundError
from imaging.volume import Volume
from tests.benchmarks import endplate_truth
from tests.imaging import real_volumes

#: abdomen body clicks (session notes) and the model's label of each level (data README)
ABDOMEN = {
    "T12": ((4.5, -111.0, 416.6), 32),
    "L1": ((6.5, -120.9, 386.0), 31),
    "L2": ((5.9, -133.0, 351.7), 30),
    "L3": ((4.9, -141.3, 315.7), 29),
    "L4": ((3.0, -140.0, 278.0), 28),
    "L5": ((1.3, -133.9, 242.3), 27),
}
#: lumbar-ct-labels' levels (clicked at their labelled bodies' centroids, as the study scripts do)
LUMBAR = {"L2": 21, "L3": 22, "L4": 23}
#: the plate names of the anatomy and of the reference
PLATES = {"superior": "sup", "inferior": "inf"}
#: the reference's own choices varied to see how far it moves by itself: the cone of normals taken as the
#: plate's (degrees) and the middle fraction kept (endplate_truth.PLATE_NORMAL_DEG, CORE_FRACTION)
REFERENCE_CONES_DEG = (20.0, 30.0, 40.0)
REFERENCE_CORES = (0.6, 0.7, 0.8)


def abdomen_ct(data: Path) -> Volume:
    return real_volumes.abdomen_ct(data)


@functools.cache
def abdomen_body(data: Path, level: str) -> npt.NDArray[np.bool_]:
    bodies = real_volumes.abdomen_bodies(data) > 0
    out: npt.NDArray[np.bool_] = bodies & (real_volumes.abdomen_levels(data) == ABDOMEN[level][1])
    return out


def lumbar_ct(data: Path) -> Volume:
    return real_volumes.lumbar_ct(data)


@functools.cache
def lumbar_body(data: Path, level: str) -> npt.NDArray[np.bool_]:
    """The labelled body: subregions 49 (cortex) and 50 (body) of the level's label."""
    sub, vert = real_volumes.lumbar_subregions(data), real_volumes.lumbar_vertebrae(data)
    out: npt.NDArray[np.bool_] = (vert == LUMBAR[level]) & np.isin(sub, [49, 50])
    return out


def case(data: Path, dataset: str, level: str) -> tuple[Volume, npt.NDArray[np.bool_], tuple[float, ...]]:
    """The CT, the labelled body and the body's click for ``dataset`` "abdomen" or "lumbar"."""
    if dataset == "abdomen":
        return abdomen_ct(data), abdomen_body(data, level), ABDOMEN[level][0]
    ct, body = lumbar_ct(data), lumbar_body(data, level)
    centre = ct.index_to_lps_points(np.argwhere(body).mean(axis=0, keepdims=True))[0]
    return ct, body, tuple(float(c) for c in centre)


@functools.cache
def planes_at(
    data: Path, dataset: str, level: str, move: tuple[float, float, float]
) -> dict[str, EndplatePlane] | None:
    """The end plate planes found from the body's click moved by ``move`` (None when the click is refused)."""
    ct, _, click = case(data, dataset, level)
    try:
        return dict(find_vertebra(ct, np.add(click, move)).endplate_planes)
    except VertebraNotFoundError:
        return None


@functools.cache
def reference(data: Path, dataset: str, level: str) -> dict[str, tuple[float, float]]:
    """``{"sup": (sagittal, coronal), "inf": ...}`` of the labelled body (a plate cut by the scan is left
    out), tests/benchmarks/endplate_truth.py with its own choices."""
    ct, body, _ = case(data, dataset, level)
    return endplate_truth.reference_tilts(ct, body)


@functools.cache
def reference_wobble(data: Path, dataset: str, level: str) -> dict[str, tuple[float, float]]:
    """How far each reference plate's sagittal and coronal tilts move (the largest change, degrees) when the
    reference's own choices are varied over :data:`REFERENCE_CONES_DEG` x :data:`REFERENCE_CORES`: how
    finely the reference itself can tell tilts apart. Variants that find no plate are left out."""
    ct, body, _ = case(data, dataset, level)
    base = reference(data, dataset, level)
    worst = {name: [0.0, 0.0] for name in base}
    for cone, core in itertools.product(REFERENCE_CONES_DEG, REFERENCE_CORES):
        try:
            other = endplate_truth.reference_tilts(ct, body, cone_deg=cone, core_fraction=core)
        except ValueError:
            continue  # abdomen T12 at a 20 degree cone and a 0.6 middle: too few points
        for name, tilts in base.items():
            if name in other:
                for k in (0, 1):
                    worst[name][k] = max(worst[name][k], abs(other[name][k] - tilts[k]))
    return {name: (w[0], w[1]) for name, w in worst.items()}
