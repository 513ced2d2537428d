"""Abdomen L3's pedicle widths from clicks a fraction of a slice apart agree with the images (3 mm CT).

QA session 16 (task C, item 2): abdomen-pelvis-ct L3 clicked at (4.9, -141.3, 316.30) read the left
pedicle 3.46 mm; a click at z 315.7 read the right 17.16 mm; clicks at z 315.0 and 317.0 read
10.9 / 10.9 mm; half a pixel to the left (x 5.4) read the left 3.38 mm. A 3.4 mm "narrowest width"
next to an 11 G needle (3.05 mm) sends the operator to another route.

Measured by hand on the images: the pedicles cut perpendicular to their axes (coronal planes y -123
to -118 mm, which run across them within a few degrees), the CT interpolated (cubic), the bone's outline
read at 300 HU, half-way between these 3 mm voxels' cortex (about 600 HU) and the soft tissue beside it
(about 0 HU), at the height where each section is widest (its upper wall, z 321-322): left 11.5-12.3 mm,
right 12.7-14.0 mm at the isthmus. At the 150 HU outline, which takes in the blur and a faint shell
lateral to each (the right's the transverse process's root), they read 15 and 18-20 mm. Below
mid-height (z 313-319) each pedicle's marrow reads as soft tissue (-10 to 100 HU) between a dense medial
cortex and that faint lateral shell, and a line there reads the medial cortex alone (2-4 mm).

The left's 3.46 mm came from the waist (imaging.pedicle_waist): from that click the ring round the canal
closed at heights 1-7 mm below the pedicle's centre only (none at the centre nor above it), and the
shortest way out of the canal there ran into the pedicle's own marrow (chord 6.6 mm, width read on the
CT 2.9-6.4 mm: the medial cortex). Now waists on one side of a centre that has none give no waist, and
the width comes from across the pedicle's axis (imaging.pedicle_station), as from the other clicks.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest

from imaging.load import load_volume
from imaging.vertebra import find_vertebra
from imaging.vertebra_model import Side, VertebraAnatomy

pytestmark = pytest.mark.realdata

#: the QA clicks (LPS mm): the window's click, and clicks up to 1.3 mm (less than half a 3 mm slice)
#: from it, and half a 1 mm step across
CLICKS_LPS = {
    "window's click z 316.30": (4.9, -141.3, 316.30),
    "z 315.7": (4.9, -141.3, 315.7),
    "z 315.0": (4.9, -141.3, 315.0),
    "z 317.0": (4.9, -141.3, 317.0),
    "x + 0.5, z 315.7": (5.4, -141.3, 315.7),
}
#: the hand measurement (mm, see the module docstring): the middle of the range read at the isthmus
HAND_WIDTH_MM = {Side.LEFT: 12.0, Side.RIGHT: 13.3}
#: tolerance (mm): each wall's edge on 3 mm voxels is placed to about half a voxel (1.5 mm), and the
#: level it is read at moves it by about 1 mm more (150 or 300 HU outlines above); a width read across
#: the marrow's hollow (the medial cortex, 2-4 mm) or with the transverse process's root (17-20 mm) is
#: well outside
TOLERANCE_MM = 2.5
#: largest spread of one side's widths over these clicks (mm): a fraction of a slice apart, they image
#: the same pedicle
MAX_SPREAD_MM = 1.5
#: the right pedicle's width from the z 315.7 click is still 17.2 mm (the others 10.8-11.9): along its
#: axis the lines across it at its base (just behind the body, where it flares into the body at the
#: height chosen as widest) and over its length reach the faint shell lateral to it, and from that
#: click no narrower stretch is found at its back; left for the width along the axis (strict xfail).
#: Session 17: that click's ROI grid has another phase (see SPREAD_SHORT in
#: tests/imaging/test_vertebra_pedicle_click_lumbar.py); on a grid fixed to the volume, with the
#: convergence of the short sections shrunk, all five clicks read 15.0-15.8 mm (spread 0.8 mm), at the
#: edge of the tolerance: the lines across still take in the faint lateral shell
RIGHT_SHORT = (
    "right pedicle from the z 315.7 click: 17.2 mm, its lines across reaching the faint shell lateral to "
    "it over its whole length (see RIGHT_SHORT's comment)"
)


@cache
def _found(root: str) -> dict[str, VertebraAnatomy]:
    ct = load_volume(Path(root) / "abdomen-pelvis-ct" / "ct.nii.gz").volume
    return {name: find_vertebra(ct, np.array(click)) for name, click in CLICKS_LPS.items()}


def _widths(shared_data: Path, side: Side) -> dict[str, float]:
    widths: dict[str, float] = {}
    for name, anatomy in _found(str(shared_data)).items():
        assert side in anatomy.pedicles, f"{side} pedicle not traced from {name}: notes {anatomy.notes}"
        widths[name] = anatomy.pedicles[side].min_width_mm
    return widths


_SIDES = [
    Side.LEFT,
    pytest.param(Side.RIGHT, marks=pytest.mark.xfail(reason=RIGHT_SHORT, strict=True)),
]


@pytest.mark.parametrize("side", _SIDES)
def test_l3_width_from_each_click_is_the_hand_measured(shared_data: Path, side: Side) -> None:
    widths = _widths(shared_data, side)
    said = ", ".join(f"{name}: {w:.2f}" for name, w in widths.items())
    for name, width in widths.items():
        assert abs(width - HAND_WIDTH_MM[side]) <= TOLERANCE_MM, (
            f"{side} from {name}: {width:.2f} mm, hand {HAND_WIDTH_MM[side]} +- {TOLERANCE_MM} ({said})"
        )
    spread = max(widths.values()) - min(widths.values())
    assert spread <= MAX_SPREAD_MM, f"{side}: spread {spread:.2f} mm ({said})"
