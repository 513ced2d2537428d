"""Lumbar pedicle widths do not depend on where in the body the vertebra was clicked (3 mm CT).

Real abdomen CT (abdomen-pelvis-ct: 3 mm voxels), L1-L5, each found from clicks within a slice of its
body's centre (the centroid of the model-made body label of that level, as in
tests/imaging/test_vertebra_realdata.py): the centre itself, the centre moved onto its slice's centre
(what the window does with a mouse click), half a slice above and below, and half a pixel both ways
diagonally in the axial plane. For each side: traced from every click, every width within the lumbar
range, and the spread over the clicks (max - min) at most ``MAX_SPREAD_MM``.

QA (session 14): L2 from (5.9, -133.0, 351.7) read 11.2 / 10.3 mm (left / right) and from the same
click snapped to z 352.3 3.3 / 3.2 mm; L4 3.0 / 5.4 mm in the window against 7.8 / 9.7 from the command
line. The widths across the pedicle's axis were read at the height the axis crossed it only: on 3 mm
slices an axis near the pedicle's lower edge crosses it where the marrow and the lateral cortex blur
below bone level, and the line reads the medial cortex alone. imaging.pedicle_station now reads each
where the section is widest. Before, these clicks gave 2.8-3.6 mm from some clicks of L1, L2 and L4.
The spread is still larger than ``MAX_SPREAD_MM`` on L2, L3 right and L4 left (``SPREAD_SHORT``): the
axis itself moves with the click and with the body found.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk
from scipy import ndimage

from imaging.vertebra import VertebraNotFoundError, find_vertebra
from imaging.vertebra_model import Side, VertebraAnatomy
from imaging.volume import Volume, affine_from_geometry
from tests.imaging.test_vertebra_realdata import model_body

pytestmark = pytest.mark.realdata

#: labels-model values of the levels (data README)
LEVELS = {"L1": 31, "L2": 30, "L3": 29, "L4": 28, "L5": 27}
#: plausible narrowest widths (mm): CLINICAL.md "Needles and pedicles", safe-zone width 7.2-17.8 mm at
#: T11-L5 (a 3.3 mm lumbar pedicle would refuse a 10 G needle of 3.40 mm that the images admit)
WIDTH_RANGE_MM = (7.2, 17.8)
#: largest spread of the narrowest width over the clicks (mm), about 1 mm as on the chest
#: (tests/imaging/test_vertebra_pedicle_click.py): each wall's edge is a half-maximum placed to a
#: fraction of the 3 mm voxel on the CT, but the clicks still move the body's frame (its centroid and
#: axis by a fraction of a millimetre) and with it where along the pedicle the width is read; at the
#: pedicle's back, where it joins the lamina, the widths change by about 1 mm over 1 mm of its length
MAX_SPREAD_MM = 1.2
#: (level, side) -> why the spread is still larger (strict xfail). The width is now read where the
#: section is widest, but the pedicle's axis still moves with the click: the ROI's 1 mm grid is laid from
#: the click, so clicks a fraction of a 3 mm voxel apart resample the CT at another phase and threshold
#: another bony solid, body and canal (L2: canal centre 21.7 or 27.6 mm behind the body's centroid), and
#: the axis is traced through other sections; spreads (session 16) L2 3.72 / 2.70 mm (left / right), L3
#: right 6.01 (11.05 from the centre, 15.0-17.1 from the others), L4 left 2.73. An ROI grid on a lattice
#: fixed to the volume brought the L1-L4 spreads over like clicks to 0.1-1.1 mm, but changed the body
#: found from other clicks (tests/imaging/test_vertebra_click.py lumbar L3 "caudal 5": 22.7 mL against
#: 36.0): left for the body and canal search. Session 17 measured two causes: (1) the grid's phase (on a
#: lattice fixed to the volume the body, canal and sections are the same from every click: L2's canal
#: 27.1-27.3 mm behind the centroid); (2) the sections the convergence is fitted to span 2.5 mm at the
#: pedicle's back and drift medially there (-13 to -25 degrees), and a convergence past -15 degrees is
#: replaced by zero, so the axis takes one of two directions (L4 left: widths 9.3 or 11.8-12.0). Both
#: fixed together (the lateral slope shrunk with the span as the craniocaudal one is) give spreads of
#: 0.1-0.8 mm (L2 0.67 / 0.37, L3 0.21 / 0.13, L4 0.11 / 0.63) but move nine other real-data checks past
#: their tolerances; caudal 5's body is bounded by a disc found inside it, a trabecular hump paired with
#: its end plate (an 18 HU trabecular ridge paired with the 180 HU end plate, cutting the body to 16 mm).
_FRAME_MOVES = "the pedicle's axis moves with the click's ROI grid phase and seeds (see SPREAD_SHORT)"
SPREAD_SHORT: dict[tuple[str, Side], str] = dict.fromkeys(
    [("L2", Side.LEFT), ("L2", Side.RIGHT), ("L3", Side.RIGHT), ("L4", Side.LEFT)],
    _FRAME_MOVES,
)
#: L5 (added in session 19, QA F5): measured 14.47-16.08 mm left (16.08 from the other diagonal click)
#: and 11.06-11.97 mm right but 5.44 from the click on the slice's centre (below). L5's left axis moves
#: with the click as L2-L4's do
SPREAD_SHORT[("L5", Side.LEFT)] = _FRAME_MOVES + ": widths 14.47-16.08 mm"
#: (level, side) -> why a click's width is still outside the lumbar range (strict xfail). L5 right from
#: the click on the slice's centre (QA session 19, F5: 5.51 mm from the model body's centroid
#: (1.3, -133.9, 242.3), 11.6-11.9 from clicks 0.5-2.1 mm away): from that click a waist is found
#: (imaging.pedicle_waist), its chords 9.5-13.5 mm long on the bony solid, but the width measured along
#: them on the CT is 4.8-6.1 mm. On these 3 mm slices the CT falls steadily from the 450-700 HU medial
#: cortex to the soft tissue 9-11 mm out (the lateral cortex is not resolved), and
#: imaging.pedicle_profile._first_wall takes that fall for the dip after the pedicle's outer cortex (it
#: asks for no rise beyond it), placing the wall half-way down, 3-4 mm into the pedicle. Asking for a
#: rise beyond the dip puts these waists' widths at 7.4-11.6 mm (8.31 taken) but lets the widths across
#: the axes run on into the faint shell beside the pedicle (L5 16-18 mm from the other clicks); starting
#: the scan past the run's middle gives 8.31 here and moved seven other real-data pedicles by 0.1-2.8 mm:
#: neither landed. Session 20 (tests/benchmarks/pedicle_wall_study.py abdomen L5): the waist's line falls
#: from the 687 HU medial cortex to 258 HU at the first wall's 6 mm reach and goes on falling there (no
#: dip: the low is the reach's last sample), the bony solid running on 3.75 mm beyond it at 150-235 HU;
#: on the images (coronal reformats y -116..-122 mm) the bone above 150 HU is 10-11 mm across at the
#: isthmus. The other five clicks read 11.06-11.97 mm across the axis, their cortex's side cut by the
#: same rule on a fall to 109-116 HU, or on a dip to 150 HU that rises 39-49 HU after it. Refusing the
#: first wall where its low is the reach's last sample and still bone (150 HU or more) gives 10.59 here,
#: but 7.13, 15.10 and 15.14 from three other clicks (the click half a slice above then finds a waist
#: whose line falls steadily from 559 to 63 HU over 12 mm; lines across the axis run on into the
#: transverse process's root) and L3 left 14.97 from the diagonal click (10.82-11.03 before; its bone
#: above 150 HU is 6-10 mm across at the isthmus); refusing every fall at bone level that does not rise
#: 50 HU after it: 10.59 here, 17.47-17.93 from the diagonal clicks, L3 left 13.70-15.04. Thin scans do
#: not meet the case (the pedicle_figures dump of chest, lumbar-ct-labels, case1 and case7: no figure
#: changed under the second rule): on 3 mm voxels the pedicle's lateral half reads 150-350 HU, its wall
#: is not resolved, and no rule on the one line tells it from a transverse process's root: not landed
WIDTH_SHORT: dict[tuple[str, Side], str] = {
    ("L5", Side.RIGHT): "a waist found from the slice's centre click is measured on the CT into the "
    "pedicle (5.44 mm; chords 9.5-13.5 mm), see WIDTH_SHORT's comment",
}
SPREAD_SHORT[("L5", Side.RIGHT)] = WIDTH_SHORT[("L5", Side.RIGHT)]
#: session 15 brought L1 here (one click's body cut along a tilted axis, left spread 3.58 mm); session 16:
#: imaging.disc_tilt takes a tilt only when its discs stand out more than the canal line's own, and L1's
#: spreads are 0.49 / 0.86 mm again (tests/imaging/test_disc_tilt.py)
#: click offsets from the body centre (mm, LPS): half a slice (1.5 mm) above and below, and half a
#: pixel diagonally in the axial plane, all within a slice of the centre and inside the body
CLICK_OFFSETS_MM = {
    "centre": (0.0, 0.0, 0.0),
    "half a slice below": (0.0, 0.0, -1.5),
    "half a slice above": (0.0, 0.0, 1.5),
    "diagonal in plane": (1.5, -1.5, 0.0),
    "other diagonal in plane": (-1.5, 1.5, 0.0),
}
#: the canal's depth behind the body (VertebraAnatomy.canal_centroid_lps from body_centroid_lps) from
#: every click within one voxel of the 3 mm CT (mm): the canal is traced on the same enclosed slices
CANAL_SPREAD_MM = 3.0
#: the body's volume from every click within this fraction of its median: 2 mL of a 40 mL lumbar body,
#: about a 0.4 mm layer over its ~5000 mm^2 surface, whose edge the rays place at the half-maximum to a
#: fraction of the 1 mm ROI voxel
BODY_SPREAD_FRACTION = 0.05
#: why the canal and the body still depend on the click (issue #4, measured in session 18). The bony
#: ring encloses the canal at the pedicles' level and again at the laminae below them (L2: z 343-346,
#: centroid y -111.6, a hole 12-15 mm deep whose front is the body's lower back at y -116..-119; z
#: 357-358, y -103.0, front -111; and L1's laminae at z 374-377, y -100.8): in the lordotic spine these
#: lie 8-10 mm apart across the scanner axis. imaging.vertebra_canal.find_canal keeps the slices within
#: 6 mm of their median centre, so which level is the canal depends on how many slices of each the
#: search window (25 mm around the click) takes in: from L2's click half a slice below only the
#: laminae's level (canal 21.7 mm behind the body), from the clicks above and on the slice's centre the
#: two upper levels (27.6-27.7 mm). The body's posterior cut is that canal's front, one per lateral bin
#: along the whole height (imaging.body_cut): from the laminae's level alone it lies 3 mm in front of the
#: upper half's back (y -116.3 against the model's -113.3 at z 355-361), 35.7 mL with Dice 0.859 and
#: 8.6 mL of the model's body missed, against 41.8-42.0 mL with Dice 0.916-0.917. A centre line fitted to
#: all levels (Theil-Sen) instead of the median centre brought L1's depths to 21.7-23.1 mm and L2's to
#: 22.8-24.5 and its bodies to 40.1-40.7 mL, but moved case1's right pedicle axis from 21.9-23.3 to
#: 15.7-21.9 degrees (tests/imaging/test_vertebra_pedicle_midline.py: two checks 0.2-0.3 degrees past
#: their tolerance): not landed. Searched again around the first body's centroid instead of the click
#: (session 18, second attempt; the first bodies' centroids agree to about 1 mm but for L2's centre click,
#: 3-4 mm higher): with the median vote L2's depths were 27.0-27.7 mm, but L1's stayed 20.5-27.5 (its
#: laminae's level lies 8-11 mm below its centroid, T12's 23-26 mm above, at the window's edge) and the canal
#: found missed the labels' enclosed planes of L1 and L2 (tests/imaging/test_vertebra_realdata.py); with the
#: line instead, fitted within 16 mm of the centroid, L1 20.1-20.8 and L2 22.7-25.6 mm, but case7's pedicle
#: checks, the lumbar case's L2 body Dice (0.841) and three canal-label checks failed; within 25 mm, L1
#: 22.1-22.8 and L2 23.0-24.9 mm, bodies 36.2-41.4 and 37.6-42.2 mL (Dice 0.853-0.890 and 0.880-0.915), but
#: case1's canal moved 3 mm forward (depth 25.6-26.1 to 22.5-22.9 mm), its left pedicle from the centre click
#: to -16.9 degrees (5.3 off the images' -22.2) and L1's left widths to a 1.92 mm spread (9.51 from the click
#: above): not landed
_CANAL_LEVEL = (
    "the canal's enclosed level kept depends on the click's search window (see the comment above "
    "CANAL_SPREAD_SHORT)"
)
CANAL_SPREAD_SHORT = {
    "L1": _CANAL_LEVEL + ": depths 20.4-27.5 mm",
    "L2": _CANAL_LEVEL + ": depths 21.7-27.7 mm",
}
BODY_SPREAD_SHORT = {
    "L1": _CANAL_LEVEL + ": 36.2-42.6 mL",
    "L2": _CANAL_LEVEL + ": 35.7-44.0 mL",
}


def _load(path: Path) -> Volume:
    image = sitk.ReadImage(str(path))
    matrix = affine_from_geometry(
        image.GetOrigin(), image.GetSpacing()[::-1], np.array(image.GetDirection()).reshape(3, 3)
    )
    return Volume(sitk.GetArrayFromImage(image), matrix)


@cache
def _abdomen(root: str) -> tuple[Volume, dict[str, dict[str, tuple[float, float, float]]]]:
    """The CT and, per level, its clicks (name -> LPS mm) around the model's body centre."""
    folder = Path(root) / "abdomen-pelvis-ct"
    ct = _load(folder / "ct.nii.gz")
    levels = _load(folder / "labels-model.nii.gz").array
    bodies, _ = ndimage.label(_load(folder / "vertebral-bodies-model.nii.gz").array == 1)
    slice_axis = int(np.argmax(np.abs(ct.index_to_lps[2, :3])))
    clicks: dict[str, dict[str, tuple[float, float, float]]] = {}
    for level, value in LEVELS.items():
        body = model_body(levels, bodies, value)
        centre_index = np.argwhere(body).mean(axis=0)
        centre = ct.index_to_lps_points(centre_index)
        snapped_index = centre_index.copy()
        snapped_index[slice_axis] = np.round(snapped_index[slice_axis])
        named = {name: tuple(float(v) for v in centre + np.array(d)) for name, d in CLICK_OFFSETS_MM.items()}
        named["on the slice's centre"] = tuple(float(v) for v in ct.index_to_lps_points(snapped_index))
        clicks[level] = named  # type: ignore[assignment]
    return ct, clicks


@pytest.fixture(scope="module")
def found(shared_data: Path) -> dict[tuple[str, str], VertebraAnatomy | str]:
    """Anatomy per (level, click name), or why the vertebra was refused (a few seconds each)."""
    ct, clicks = _abdomen(str(shared_data))
    out: dict[tuple[str, str], VertebraAnatomy | str] = {}
    for level, named in clicks.items():
        for name, click in named.items():
            try:
                out[(level, name)] = find_vertebra(ct, click, level_hint=level)
            except VertebraNotFoundError as exc:
                out[(level, name)] = str(exc)
    return out


def _widths(found: dict[tuple[str, str], VertebraAnatomy | str], level: str, side: Side) -> dict[str, float]:
    """The narrowest width from every click of ``level`` on ``side`` (mm); fails when one is missing."""
    widths: dict[str, float] = {}
    for (lev, name), anatomy in found.items():
        if lev != level:
            continue
        assert not isinstance(anatomy, str), f"{level} click {name}: vertebra refused: {anatomy}"
        assert side in anatomy.pedicles, f"{level} {side} click {name}: not traced; notes {anatomy.notes}"
        widths[name] = anatomy.pedicles[side].min_width_mm
    return widths


def _said(widths: dict[str, float]) -> str:
    return ", ".join(f"{name}: {w:.2f}" for name, w in widths.items())


def _width_cases() -> list[object]:
    return [
        pytest.param(level, side, marks=pytest.mark.xfail(reason=WIDTH_SHORT[(level, side)], strict=True))
        if (level, side) in WIDTH_SHORT
        else (level, side)
        for level in LEVELS
        for side in (Side.LEFT, Side.RIGHT)
    ]


@pytest.mark.parametrize(("level", "side"), _width_cases())
def test_lumbar_width_from_every_click_is_a_lumbar_pedicles(
    found: dict[tuple[str, str], VertebraAnatomy | str], level: str, side: Side
) -> None:
    """Traced from every click, and as wide as a lumbar pedicle from every one (before: 2.8-3.6 mm
    from some clicks of L1, L2 and L4, the medial cortex alone)."""
    lo, hi = WIDTH_RANGE_MM
    widths = _widths(found, level, side)
    for name, width in widths.items():
        assert lo <= width <= hi, (
            f"{level} {side} click {name}: {width:.2f} mm outside {lo}-{hi} mm ({_said(widths)})"
        )


def _spread_cases() -> list[object]:
    return [
        pytest.param(level, side, marks=pytest.mark.xfail(reason=SPREAD_SHORT[(level, side)], strict=True))
        if (level, side) in SPREAD_SHORT
        else (level, side)
        for level in LEVELS
        for side in (Side.LEFT, Side.RIGHT)
    ]


@pytest.mark.parametrize(("level", "side"), _spread_cases())
def test_lumbar_width_is_the_same_from_every_click(
    found: dict[tuple[str, str], VertebraAnatomy | str], level: str, side: Side
) -> None:
    widths = _widths(found, level, side)
    spread = max(widths.values()) - min(widths.values())
    assert spread <= MAX_SPREAD_MM, (
        f"{level} {side}: spread {spread:.2f} mm over the clicks ({_said(widths)})"
    )


def _level(found: dict[tuple[str, str], VertebraAnatomy | str], level: str) -> dict[str, VertebraAnatomy]:
    out: dict[str, VertebraAnatomy] = {}
    for (lev, name), anatomy in found.items():
        if lev == level:
            assert not isinstance(anatomy, str), f"{level} click {name}: vertebra refused: {anatomy}"
            out[name] = anatomy
    return out


def _levels_short(short: dict[str, str]) -> list[object]:
    return [
        pytest.param(level, marks=pytest.mark.xfail(reason=short[level], strict=True))
        if level in short
        else level
        for level in LEVELS
    ]


@pytest.mark.parametrize("level", _levels_short(CANAL_SPREAD_SHORT))
def test_lumbar_canal_is_as_deep_from_every_click(
    found: dict[tuple[str, str], VertebraAnatomy | str], level: str
) -> None:
    """The canal's centre lies as far behind the body's centroid from every click (the point itself
    slides along the leaning canal with the mid-height plane, which moves with the body found)."""
    depths = {
        name: float(np.linalg.norm(np.subtract(a.canal_centroid_lps, a.body_centroid_lps)))
        for name, a in _level(found, level).items()
    }
    spread = max(depths.values()) - min(depths.values())
    said = ", ".join(f"{name}: {d:.1f}" for name, d in depths.items())
    assert spread <= CANAL_SPREAD_MM, (
        f"{level}: canal depths {spread:.1f} mm apart over the clicks ({said} mm)"
    )


@pytest.mark.parametrize("level", _levels_short(BODY_SPREAD_SHORT))
def test_lumbar_body_is_the_same_from_every_click(
    found: dict[tuple[str, str], VertebraAnatomy | str], level: str
) -> None:
    volumes = {name: a.body_volume_ml for name, a in _level(found, level).items()}
    median = float(np.median(list(volumes.values())))
    spread = max(volumes.values()) - min(volumes.values())
    said = ", ".join(f"{name}: {v:.1f}" for name, v in volumes.items())
    assert spread <= BODY_SPREAD_FRACTION * median, f"{level}: body volumes {spread:.1f} mL apart ({said} mL)"
