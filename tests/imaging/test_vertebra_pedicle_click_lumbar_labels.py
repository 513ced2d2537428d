"""lumbar-ct-labels L3's pedicles from clicks a fraction of a voxel apart (1.5 mm isotropic CT, stored PIR).

QA session 19 (F4): clicked at the body's centroid (from labels 49 + 50 of vertebra 22) L3 read 7.63 /
7.91 mm (left / right), and 0.3 mm behind it 10.01 / 9.43 mm; from the centroid the isthmus was the
axis' posterior end (the left's isthmus was its entry) and the right axis' entry moved 11.9 mm. On the
images both pedicles are about 9 mm across at the waist. No waist is found on this vertebra (the ring
round the canal is open at the pedicles' heights), so the width is read across the axis; 1 mm behind the
last traced section, where nothing bounds the line across to the pedicle, an edge moved 4.6-5.0 mm and
the width fell to 7.6-7.9 mm as the line left the pedicle's back. Those profiles are now followed only
while the walls run on smoothly (imaging.pedicle_run.follow_walls), as in front of the sections.

Clicks: the centroid, and the QA's nine others within 0.75 mm of it (a fifth to a half of a voxel).
For each side: traced from every click, every width within CLINICAL.md's lumbar safe zone, the isthmus
inside the pedicle (in front of the entry, not the axis' posterior end), the axis inside the labels'
pedicle (label 41) over the 6 mm behind the body's labels, and the spread of the widths within
``MAX_SPREAD_MM``. L2 and L4 are cut by the field of view (their pedicles are traced from some clicks
only) and are not checked here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imaging.vertebra import find_vertebra
from imaging.vertebra_model import Side, VertebraAnatomy
from tests.imaging.test_vertebra_realdata import _lumbar

pytestmark = pytest.mark.realdata

#: seg-vert value of L3 (data README)
L3 = 22
#: plausible narrowest widths (mm): CLINICAL.md "Needles and pedicles", safe zone 7.2-17.8 mm at T11-L5
WIDTH_RANGE_MM = (7.2, 17.8)
#: largest spread of a side's narrowest width over the clicks (mm): the chest's
#: (tests/imaging/test_vertebra_pedicle_click.py, 2 mm slices); these voxels are finer still
MAX_SPREAD_MM = 1.0
#: the isthmus lies inside the pedicle, in front of where the axis leaves bone posteriorly (mm): before,
#: the left's isthmus was its entry (0.0 mm) and the right's 0.5 mm in front of it
MIN_ISTHMUS_TO_ENTRY_MM = 1.0
#: along the axis, the pedicle zone: from where the axis leaves the body labels (49/50) going
#: posteriorly, this far (mm), and the share of it that must lie in label 41 (as
#: tests/imaging/test_vertebra_realdata.py)
PEDICLE_ZONE_MM = 6.0
MIN_IN_PEDICLE = 0.9
#: the QA's clicks: offsets from the centroid (mm, LPS)
CLICK_OFFSETS_MM = {
    "centroid": (0.0, 0.0, 0.0),
    "x + 0.3": (0.3, 0.0, 0.0),
    "y + 0.3": (0.0, 0.3, 0.0),
    "z + 0.3": (0.0, 0.0, 0.3),
    "diagonal 0.5": (-0.4, 0.2, -0.2),
    "x + 0.75": (0.75, 0.0, 0.0),
    "y + 0.75": (0.0, 0.75, 0.0),
    "z + 0.75": (0.0, 0.0, 0.75),
    "z - 0.75": (0.0, 0.0, -0.75),
    "y - 0.75": (0.0, -0.75, 0.0),
}
#: side -> why its spread is still larger (strict xfail). Measured (session 19): left 9.06-10.40 mm over
#: the ten clicks. The left's sections span 2.5 mm at the pedicle's back and their centroids drift
#: medially (traced convergence -10 to -23 degrees), the walls give no midline from these clicks, and a
#: convergence past -15 degrees is replaced by zero: the axis takes one of two directions, and the
#: width across the diverging one reads 10.0-10.4 mm against 9.1-9.3 across the parallel one (the same
#: cause as the abdomen's SPREAD_SHORT in tests/imaging/test_vertebra_pedicle_click_lumbar.py).
#: Session 20, against the labels: label 41's left part over the 6 mm behind the body's labels (y 180-186)
#: has its centroid at x 42.2-43.0 (no convergence to within the 1.5 mm voxels) and is 9.0-10.5 mm across
#: at mid-height (voxel counts); the axes from the clicks run three ways (angles in the scanner's axial
#: plane, + converging): -3.4 to -3.7 degrees, the body's midline (a traced -17 to -23 replaced; 9.06-9.11
#: mm), +8.3 to +11.9 (the walls' midline fitted; 9.18-9.31) and -11.1 to -14.5 (a traced -10 kept,
#: inside the plausible -15..45; 10.02-10.42). The last is the defect, some 12 degrees off the labels:
#: the walls' midline is not fitted from those clicks because at the upper height the pedicle proper's
#: rows (at most 1.35 times the narrowest 9.0 mm) span about 6 mm, under the 6.9 mm asked of 1.5 mm
#: voxels (imaging.pedicle_midline.MAX_SLOPE_ERROR; 8.0 mm from the diagonal click, which fits it), and
#: at the lower height the rows narrow from about 9 mm to 7.0-7.7 mm with their midpoints stepping 1 mm
#: (another bone). Not fixed (the span rule is session 17's, see the abdomen's SPREAD_SHORT).
#: Session 24, against label 41's centreline at sub-voxel precision (tests/benchmarks/pedicle_axis_truth.py:
#: sections clear of the body, labels blurred half a voxel): L3 left converges -5 to +4.5 degrees (the
#: blur moves it), right -4 to +7. Every left axis passes within 0.3-0.8 mm of that centreline at its
#: isthmus, but the diverging axes are 11-15 degrees off it and the walls' midline ones 9-13 (right: 2.5-9):
#: fitting the walls' midline from every click (a session-24 trial pooling the three heights) made the
#: width spread 0.30 mm but every left axis 7-12 degrees off the labels, so it is no fix. The walls' midline
#: converges too far because its rows in front run into the pedicle's base, where the medial wall steps
#: 1.7-4 mm medially into the body's back (widths 9 -> 12 mm, inside PROPER_WIDTH_FACTOR's 1.35): the
#: rows behind that step are parallel to within the edges' scatter.
#: Session 25 (tests/benchmarks/pedicle_isthmus_split.py): behind the walls' narrowest row the left's
#: rows converge 5.3-9.8 degrees (label 41: 2.5 +- 5), but they span only 2.5-4 mm at one or two heights
#: (the middle height keeps 3 rows), so by the midline's error model (midpoint error 0.25 v / sqrt(2),
#: heights pooled) that slope is known to 6.2-9.8 degrees, not the 5 asked; the front rows' 9-21 differ by
#: 0.3-1.5 of their joint error, as bone-lesions case1's do (0.2-1.1, where front and back both follow the
#: images' 15-23): no test on that error tells L3 left's body corner from case1's pedicle. Fitting only the
#: rows behind the narrowest (pooled error) left L3 left at 4.6-14.7 degrees off label 41 and turned every
#: case1 left axis 28-31 degrees onto its lateral cortex (/work/tasks/s25_B_report.md)
SPREAD_SHORT = {
    Side.LEFT: "the left axis diverges from some clicks (a traced -10 deg kept; the walls' midline too short "
    "to fit): widths 9.06-10.42 mm, 10.02-10.42 along the diverging axis"
}


@pytest.fixture(scope="module")
def found(shared_data: Path) -> dict[str, VertebraAnatomy]:
    """L3's anatomy per click name (a couple of seconds each)."""
    ct, sub, vert = _lumbar(str(shared_data))
    body = (vert == L3) & np.isin(sub, [49, 50])
    centroid = ct.index_to_lps_points(np.argwhere(body).mean(axis=0))
    return {
        name: find_vertebra(ct, centroid + np.array(offset), level_hint="L3")
        for name, offset in CLICK_OFFSETS_MM.items()
    }


def _traced(found: dict[str, VertebraAnatomy], side: Side) -> dict[str, VertebraAnatomy]:
    for name, anatomy in found.items():
        assert side in anatomy.pedicles, f"{side} click {name}: not traced; notes {anatomy.notes}"
    return found


def _said(values: dict[str, float]) -> str:
    return ", ".join(f"{name}: {v:.2f}" for name, v in values.items())


@pytest.mark.parametrize("side", [Side.LEFT, Side.RIGHT])
def test_width_from_every_click_is_a_lumbar_pedicles(found: dict[str, VertebraAnatomy], side: Side) -> None:
    lo, hi = WIDTH_RANGE_MM
    widths = {name: a.pedicles[side].min_width_mm for name, a in _traced(found, side).items()}
    for name, width in widths.items():
        assert lo <= width <= hi, f"{side} click {name}: {width:.2f} mm outside {lo}-{hi} ({_said(widths)})"


@pytest.mark.parametrize("side", [Side.LEFT, Side.RIGHT])
def test_isthmus_is_not_the_axis_posterior_end(found: dict[str, VertebraAnatomy], side: Side) -> None:
    """The narrowest place lies inside the pedicle, in front of where the axis leaves bone (before: the
    left's isthmus was its entry from the centroid click)."""
    gaps = {
        name: float(np.linalg.norm(np.subtract(ped.axis_entry_lps, ped.isthmus_lps)))
        for name, ped in ((n, a.pedicles[side]) for n, a in _traced(found, side).items())
    }
    for name, gap in gaps.items():
        assert gap >= MIN_ISTHMUS_TO_ENTRY_MM, f"{side} click {name}: isthmus {gap:.2f} mm from the entry"


@pytest.mark.parametrize("side", [Side.LEFT, Side.RIGHT])
def test_axis_from_every_click_runs_inside_the_pedicle_label(
    shared_data: Path, found: dict[str, VertebraAnatomy], side: Side
) -> None:
    ct, sub, vert = _lumbar(str(shared_data))
    labels_l3 = np.where(vert == L3, sub, 0)
    for name, anatomy in _traced(found, side).items():
        ped = anatomy.pedicles[side]
        entry, target = np.array(ped.axis_entry_lps), np.array(ped.axis_target_lps)
        d = (target - entry) / np.linalg.norm(target - entry)
        s = np.arange(0.0, np.linalg.norm(target - entry), 0.5)
        idx = np.rint(ct.lps_to_index_points(entry + s[:, None] * d)).astype(int)
        inside = np.all((idx >= 0) & (idx < np.array(ct.shape)), axis=1)
        labels = np.zeros(len(s), dtype=int)
        labels[inside] = labels_l3[tuple(idx[inside].T)]
        in_body = np.isin(labels, [49, 50])
        assert in_body.any(), f"{side} click {name}: the axis never enters the body"
        first_body = int(np.argmax(in_body))
        zone = (s >= s[first_body] - PEDICLE_ZONE_MM) & (s < s[first_body])
        share = float(np.mean(labels[zone] == 41))
        assert share >= MIN_IN_PEDICLE, (
            f"{side} click {name}: only {share:.0%} of the pedicle zone in label 41 "
            f"({''.join(str(v % 10) for v in labels[zone])})"
        )


@pytest.mark.parametrize(
    "side",
    [
        pytest.param(s, marks=pytest.mark.xfail(reason=SPREAD_SHORT[s], strict=True))
        if s in SPREAD_SHORT
        else s
        for s in (Side.LEFT, Side.RIGHT)
    ],
)
def test_width_is_the_same_from_every_click(found: dict[str, VertebraAnatomy], side: Side) -> None:
    widths = {name: a.pedicles[side].min_width_mm for name, a in _traced(found, side).items()}
    spread = max(widths.values()) - min(widths.values())
    assert spread <= MAX_SPREAD_MM, f"{side}: spread {spread:.2f} mm over the clicks ({_said(widths)})"
