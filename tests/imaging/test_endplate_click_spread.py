"""End plate tilts are a property of the bone, not of where in the body the operator clicked (QA s25 E1).

The plane was fitted to the end plate layer of the body's mask on the 1 mm ROI, a staircase of a 3 mm
scan whose cut moved with the click: abdomen L2's superior end plate read -6.3 to +24.4 degrees sagittal
for clicks up to 3 mm apart. It is now fitted to the CT's own edge along each column of the body's middle
(imaging.endplate_edge).

The tilts themselves are checked against the label reference along each body's axis, click by click, in
tests/imaging/test_endplate_reference.py (session 28); the planes through the label's z columns this file
compared with (MODEL_L2_SAGITTAL, MODEL_T12_INFERIOR, MODEL_L1_SUPERIOR) were up to 4 degrees off that
reference here (T12 inferior +13.9 against +17.9) and 26 on a leaning body (L5 inferior). The abdomen's
finds are shared with that file (tests/imaging/endplate_cases.py).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from imaging.endplate_fit import AXIS_TIP_DEG
from imaging.endplate_plane import EndplatePlane
from imaging.vertebra import find_vertebra
from imaging.volume import Volume
from planning.vertebra_figures import figure_lines, vertebra_figures
from tests.imaging.endplate_cases import planes_at, reference
from tests.phantoms.vertebra import make_vertebra_phantom

#: moves of up to one slice (3 mm) within the body from its click (tests/imaging/endplate_cases.ABDOMEN)
MOVES = [(0.0, 0.0, 0.0), (0.0, 0.0, 0.6), (0.0, 0.0, -3.0), (0.0, 3.0, 0.0), (3.0, 0.0, 0.0)]
#: largest spread of a sagittal tilt over those clicks (degrees). Measured (this fix): superior 12.4-13.6,
#: inferior 10.1-11.8 over the eight clicks of tests/benchmarks/endplate_click_spread.py; the base gave
#: superior -6.3..+24.4 and inferior +8.3..+27.0
SPREAD_DEG = 4.0
#: the phantom's tilt recovered on 3 mm slices within this (degrees): measured below 1 degree off
PHANTOM_TILT_DEG = 2.0


def _planes(shared_data: Path, level: str) -> list[dict[str, EndplatePlane]]:
    """The abdomen body's planes at each of :data:`MOVES` (every one of these clicks is found)."""
    out = []
    for move in MOVES:
        planes = planes_at(shared_data, "abdomen", level, move)
        assert planes is not None, (level, move)
        out.append(planes)
    return out


def test_abdomen_l2_end_plate_tilts_do_not_move_with_the_click(shared_data: Path) -> None:
    found = _planes(shared_data, "L2")
    for name in ("superior", "inferior"):
        values = [planes[name].sagittal_tilt_deg for planes in found]
        assert max(values) - min(values) <= SPREAD_DEG, (name, values)


def test_phantom_on_3mm_slices_gives_its_tilt_from_any_click() -> None:
    ph = make_vertebra_phantom(pitch_deg=12.0, spacing_mm=(3.0, 0.8, 0.8), adjacent=True, seed=5)
    axis = ph.superior_endplate_center_lps - ph.inferior_endplate_center_lps
    axis /= np.linalg.norm(axis)
    sagittal = math.degrees(math.atan2(axis[1], axis[2]))
    for dz in (0.0, 1.0, 1.5, 2.2):
        anatomy = find_vertebra(ph.volume, np.add(ph.center_lps, (0.0, 0.0, dz)))
        for name in ("superior", "inferior"):
            got = anatomy.endplate_planes[name].sagittal_tilt_deg
            assert abs(got - sagittal) <= PHANTOM_TILT_DEG, (dz, name, got, sagittal)


#: abdomen T12 and L1 body clicks (session notes). The T12/L1 disc is thin and reads 100-130 HU beside end
#: plates of 140-190 HU, too faint to read column by column: the base (a65e556) fell back to the mask's
#: slice steps there, T12 inferior +5.4..+24.3 and L1 superior -19.1..+3.0 sagittal over the 8 clicks of
#: tests/benchmarks/endplate_click_spread.py; read on the columns' mean profile (imaging.endplate_mean_edge)
#: they give the figures in the session 26 report
FAINT = (("T12", "inferior"), ("L1", "superior"))


def test_abdomen_t12_l1_faint_end_plates_do_not_move_with_the_click(shared_data: Path) -> None:
    for level, name in FAINT:
        planes = [found[name] for found in _planes(shared_data, level)]
        values = [plane.sagittal_tilt_deg for plane in planes]
        assert max(values) - min(values) <= SPREAD_DEG, (name, values)
        for plane in planes:
            # read on the CT, with an uncertainty, not from the mask's slice steps
            assert plane.tilt_from != "mask_layer", (level, name)
            assert plane.tilt_uncertainty_deg is not None and math.isfinite(plane.tilt_uncertainty_deg)


def test_phantom_tilt_uncertainty_covers_the_error() -> None:
    ph = make_vertebra_phantom(pitch_deg=12.0, spacing_mm=(3.0, 0.8, 0.8), adjacent=True, seed=5)
    axis = ph.superior_endplate_center_lps - ph.inferior_endplate_center_lps
    axis /= np.linalg.norm(axis)
    sagittal = math.degrees(math.atan2(axis[1], axis[2]))
    anatomy = find_vertebra(ph.volume, ph.center_lps)
    for name in ("superior", "inferior"):
        plane = anatomy.endplate_planes[name]
        assert plane.tilt_from == "ct_edge", name
        spread = plane.tilt_uncertainty_deg
        assert spread is not None and 0.0 < spread <= PHANTOM_TILT_DEG, (name, spread)
        assert abs(plane.sagittal_tilt_deg - sagittal) <= spread, (name, plane.sagittal_tilt_deg, sagittal)


#: chest T7's body click (session notes). Its superior end plate lies at z -12.5 mm: the body's mask
#: ends there at every click (median top over the plate's columns -11.9..-12.5) and the plate's bright
#: line shows there on coronal and sagittal sections (session 27, /work/tasks/s27_D_png/
#: chest_T7_superior_zoom.png). The disc to T6 is too thin to show on 2 mm slices: the columns' mean
#: profile read 233 HU on T7's plate, 228 1 mm out and 251 on T6's plate 3 mm out, then fell to 185 in
#: T6's bone; the base (67de197) read that last fall as the edge, 5 mm above T7's plate (z -7.0, -6.9)
#: at 7 of the 8 clicks of tests/benchmarks/endplate_click_spread.py
T7_CLICK = (-10.0, 125.0, -21.5)
T7_SUPERIOR_Z = -12.5
#: one slice of that scan (mm)
T7_SLICE_MM = 2.0


def test_chest_t7_superior_end_plate_is_not_read_on_the_next_body(chest_ct: Volume) -> None:
    for move in ((0.0, 0.0, 0.6), (0.0, -3.0, 0.0), (3.0, 0.0, 0.0)):
        plane = find_vertebra(chest_ct, np.add(T7_CLICK, move)).endplate_planes["superior"]
        assert abs(plane.center_lps[2] - T7_SUPERIOR_Z) <= T7_SLICE_MM, (
            move,
            plane.center_lps,
            plane.tilt_from,
        )


def test_abdomen_faint_end_plate_uncertainty_covers_the_click_spread_and_the_reference(
    shared_data: Path,
) -> None:
    """The tilt read on the mean profile (abdomen T12 inferior, L1 superior) says an uncertainty that holds
    both its error against the label reference along the body's axis and its distance from the median over
    the clicks. On 2eb9578 (a strict xfail): ±0.6 (the block jackknife alone) at T12's +0.6 mm click, whose
    sagittal tilt +19.5 lies 1.6 from the reference's +17.9 and 2.4 from the clicks' median (+17.05). That
    click's columns run along an axis leaning 6.7 degrees sagittally (3.7 at the body's click) and the read
    follows them in part; the jackknife keeps the axis. Read again with the columns tipped 3 degrees each way
    (imaging.endplate_fit.AXIS_TIP_DEG) the tilt moves by up to 3.0 there, now its ±; T12's five clicks say
    ±2.0-3.5 (were 0.6-3.5), L1 superior's 5.9-8.0 (unchanged: already said uncertain)."""
    for level, name in FAINT:
        short = "inf" if name == "inferior" else "sup"
        ref = reference(shared_data, "abdomen", level)[short]
        planes = [found[name] for found in _planes(shared_data, level)]
        median = (
            float(np.median([p.sagittal_tilt_deg for p in planes])),
            float(np.median([p.coronal_tilt_deg for p in planes])),
        )
        for move, plane in zip(MOVES, planes, strict=True):
            spread = plane.tilt_uncertainty_deg
            assert spread is not None and math.isfinite(spread), (name, move)
            got = (plane.sagittal_tilt_deg, plane.coronal_tilt_deg)
            for k in (0, 1):
                assert abs(got[k] - ref[k]) <= spread, (name, move, got, ref, spread)
                assert abs(got[k] - median[k]) <= spread, (name, move, got, median, spread)


#: chest T8's body click (session notes) and the eight moves of tests/benchmarks/endplate_click_spread.py
T8_CLICK = (-10.0, 125.0, -45.0)
CHEST_MOVES = ((0, 0, 0), (0, 0, 0.6), (0, 0, -3), (0, 0, 3), (0, -3, 0), (0, 3, 0), (-3, 0, 0), (3, 0, 0))
#: largest ± said for T8's superior plate at those clicks (degrees): the columns tipped by AXIS_TIP_DEG (3)
#: carry a read that follows the same edge by up to that much; a larger change is another edge
T8_SUPERIOR_MAX_PM_DEG = AXIS_TIP_DEG


#: (session 29, task E, /work/tasks/s29_E_report.md; a strict xfail until session 30): the eight clicks said
#: ±0.76, 5.84, 5.0, 5.25, 6.25, 6.01, 1.78, 5.01 while the tilts keep within -3.48..-2.49 sagittal and
#: +2.70..+3.58 coronal: the mean profile dips into the thin T7/T8 disc, climbs to T7's plate (below T8's
#: peak) and falls into T7's bone, darker than the disc; the disc's "darkest" was read there and the
#: sharpness summed T7's rise and fall, so reads with the columns tipped (imaging.endplate_fit) at five
#: clicks, and the straight read's block-left-out fits at two, followed T7's plates. Tried: holding the
#: tipped reads to the straight read's test (three clicks still 5.84-6.25; +2-3 s CPU: not merged); stopping
#: where the mean climbs back above the edge's level (chest T9 inferior's jackknife up to 5.9: reverted);
#: the first low point below half way to the darkest (chest T9 inferior ±4.5-5.5: its tipped reads skipped
#: a shallow disc dip into T10's bone). The disc is now the first low point after the peak
#: (imaging.endplate_mean_edge): ±0.76-2.67, T8's tilts unchanged (chest T9 inferior's moved by up to 0.5).
def test_chest_t8_superior_uncertainty_holds_the_click_spread_without_over_covering(chest_ct: Volume) -> None:
    planes = [
        find_vertebra(chest_ct, np.add(T8_CLICK, move)).endplate_planes["superior"] for move in CHEST_MOVES
    ]
    median = (
        float(np.median([p.sagittal_tilt_deg for p in planes])),
        float(np.median([p.coronal_tilt_deg for p in planes])),
    )
    for move, plane in zip(CHEST_MOVES, planes, strict=True):
        spread = plane.tilt_uncertainty_deg
        assert plane.tilt_from == "ct_edge_mean", (move, plane.tilt_from)
        assert spread is not None and spread <= T8_SUPERIOR_MAX_PM_DEG, (move, spread)
        got = (plane.sagittal_tilt_deg, plane.coronal_tilt_deg)
        for k in (0, 1):
            assert abs(got[k] - median[k]) <= spread, (move, got, median, spread)


#: chest T12's body click (session notes) and the click 3 mm behind it (one of the eight moves of
#: tests/benchmarks/endplate_click_spread.py). There the body's mask ran through the 2 mm-slice T12/L1 disc
#: down to the scan's lower end (z -165; -157 at the other seven clicks): two thirds of the inferior plate's
#: columns read past the scan's end, the mean profile left the scan, and the mask's layer (a dome over the
#: disc) read sagittal -7.4 with no ± on 3229098, against +7.2..+7.3 read on the CT's edge (± 0.9-1.0) at
#: the other seven clicks; the edge its other columns read lay 2.7 mm inside that layer's plane
T12_CLICK = (-10.0, 125.0, -140.0)
T12_PAST_THE_DISC = (0.0, 3.0, 0.0)


def test_chest_t12_inferior_tilt_is_not_said_against_the_ct_edge(chest_ct: Volume) -> None:
    """A tilt is said only with a ± that holds the one read on the CT's edge at the body's click; else the
    plate's tilt is said not measured, with why."""
    at_centre = find_vertebra(chest_ct, np.asarray(T12_CLICK)).endplate_planes["inferior"]
    assert at_centre.tilt_from == "ct_edge", at_centre.tilt_from
    anatomy = find_vertebra(chest_ct, np.add(T12_CLICK, T12_PAST_THE_DISC))
    plane = anatomy.endplate_planes.get("inferior")
    if plane is None:
        assert "inferior" in anatomy.endplate_tilt_not_measured
        line = next(x for x in figure_lines(vertebra_figures(anatomy)) if x.startswith("inferior endplate"))
        assert "tilt not measured" in line and "deg" not in line, line
    else:
        spread = plane.tilt_uncertainty_deg
        assert spread is not None and math.isfinite(spread), (plane.sagittal_tilt_deg, plane.tilt_from)
        for got, want in (
            (plane.sagittal_tilt_deg, at_centre.sagittal_tilt_deg),
            (plane.coronal_tilt_deg, at_centre.coronal_tilt_deg),
        ):
            assert abs(got - want) <= spread, (got, want, spread)
    # the superior plate at that click keeps its read on the CT
    assert anatomy.endplate_planes["superior"].tilt_from != "mask_layer"
