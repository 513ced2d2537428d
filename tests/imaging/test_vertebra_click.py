"""The vertebral body does not depend on where in the body the radiologist clicks (issue 4).

Real CT (../shared/data; skipped when absent). For each body, a click at its centre gives the reference
body; clicks moved 8 mm left / right, 5 mm anterior / posterior and 5 mm cranial / caudal from it must
give a body with Dice >= 0.90 against the reference and a centroid within 3 mm of its centroid.

chest-ct-dicom (2 mm slices): bodies T7-T11 (named as in tests/planning/test_leakage.py: T8 at z -45);
the centre is the centroid of the body found from a click at the body's nominal centre (x -8, y 127).
abdomen-pelvis-ct L2-L4 and lumbar-ct-labels L3: the centre is the labelled body's centroid.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from imaging.vertebra import find_vertebra
from imaging.vertebra_model import VertebraAnatomy
from imaging.volume import Volume
from tests.imaging import test_vertebra_realdata as realdata

pytestmark = pytest.mark.realdata

#: the offsets a radiologist's click may fall from the body's centre (mm, LPS): a body is ~30 mm wide,
#: ~25 mm deep and ~20 mm tall in the thoracic spine
OFFSETS_MM = {
    "left 8": (8.0, 0.0, 0.0),
    "right 8": (-8.0, 0.0, 0.0),
    "posterior 5": (0.0, 5.0, 0.0),
    "anterior 5": (0.0, -5.0, 0.0),
    "cranial 5": (0.0, 0.0, 5.0),
    "caudal 5": (0.0, 0.0, -5.0),
}
MIN_DICE = 0.90
MAX_CENTROID_SHIFT_MM = 3.0
#: nominal body centres of chest-ct-dicom (z between the disc levels read by eye, x, y on the bodies)
CHEST_Z_MM = {"T7": -21.5, "T8": -45.0, "T9": -68.5, "T10": -92.0, "T11": -116.0}
CHEST_XY_MM = (-8.0, 127.0)

#: measured shortfalls (strict: they must turn into passes when fixed). None left: lumbar-ct-labels L3 clicked
#: 5 mm anterior found its dark interior (41 HU) as the canal, 8 mm behind the click, and was cut there (23.1
#: mL, the canal 55 degrees aside); since session 24 the canal straight behind that hole is taken
#: (imaging.canal_recheck): 36.8 mL against the centred click's 36.7, its canal within 0.2 mm
KNOWN_SHORT: dict[tuple[str, str], str] = {}


@cache
def _chest(root: str) -> Volume:
    from imaging.load import load_volume

    return load_volume(Path(root) / "chest-ct-dicom").volume


@cache
def _reference(dataset: str, root: str, level: str) -> tuple[npt.NDArray[np.float64], VertebraAnatomy]:
    """The centre click and the body found from it."""
    if dataset == "chest":
        volume = _chest(root)
        nominal = find_vertebra(volume, (*CHEST_XY_MM, CHEST_Z_MM[level]))
        centre = np.array(nominal.body_centroid_lps)
    elif dataset == "abdomen":
        ct, levels, bodies = realdata._abdomen(root)
        truth = realdata.model_body(levels, bodies, realdata.ABDOMEN[level])
        volume = ct
        centre = ct.index_to_lps_points(np.argwhere(truth).mean(axis=0))
    else:
        ct, sub, vert = realdata._lumbar(root)
        truth = (vert == realdata.LUMBAR[level]) & np.isin(sub, [49, 50])
        volume = ct
        centre = ct.index_to_lps_points(np.argwhere(truth).mean(axis=0))
    return centre, find_vertebra(volume, centre)


def _volume(dataset: str, root: str) -> Volume:
    if dataset == "chest":
        return _chest(root)
    if dataset == "abdomen":
        return realdata._abdomen(root)[0]
    return realdata._lumbar(root)[0]


CASES = [
    *(("chest", level) for level in CHEST_Z_MM),
    *(("abdomen", level) for level in ("L2", "L3", "L4")),
    ("lumbar", "L3"),
]


def _params() -> list[object]:
    out: list[object] = []
    for dataset, level in CASES:
        for name in OFFSETS_MM:
            reason = KNOWN_SHORT.get((f"{dataset} {level}", name))
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            out.append(pytest.param(dataset, level, name, marks=marks, id=f"{dataset}-{level}-{name}"))
    return out


@pytest.mark.parametrize(("dataset", "level", "offset"), _params())
def test_body_does_not_depend_on_where_the_click_falls(
    shared_data: Path, dataset: str, level: str, offset: str
) -> None:
    root = str(shared_data)
    centre, reference = _reference(dataset, root, level)
    anatomy = find_vertebra(_volume(dataset, root), centre + np.array(OFFSETS_MM[offset]))
    ref, found = reference.body.to_full(), anatomy.body.to_full()
    dice = float(2.0 * (ref & found).sum() / (ref.sum() + found.sum()))
    shift = float(np.linalg.norm(np.subtract(anatomy.body_centroid_lps, reference.body_centroid_lps)))
    assert dice >= MIN_DICE and shift <= MAX_CENTROID_SHIFT_MM, (
        f"{dataset} {level} clicked {offset} mm off centre: Dice {dice:.3f} against the centred click's "
        f"body, centroid {shift:.1f} mm away ({anatomy.body_volume_ml:.1f} mL against "
        f"{reference.body_volume_ml:.1f})"
    )
