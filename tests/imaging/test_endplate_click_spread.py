"""End plate tilts are a property of the bone, not of where in the body the operator clicked (QA s25 E1).

The plane was fitted to the end plate layer of the body's mask on the 1 mm ROI, a staircase of a 3 mm
scan whose cut moved with the click: abdomen L2's superior end plate read -6.3 to +24.4 degrees sagittal
for clicks up to 3 mm apart. It is now fitted to the CT's own edge along each column of the body's middle
(imaging.endplate_edge).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from imaging.vertebra import find_vertebra
from imaging.volume import Volume
from tests.phantoms.vertebra import make_vertebra_phantom

#: abdomen L2's body click (s25 common context) and moves of up to one slice (3 mm) within the body
L2_CLICK = (5.9, -133.0, 351.7)
MOVES = [(0.0, 0.0, 0.0), (0.0, 0.0, 0.6), (0.0, 0.0, -3.0), (0.0, 3.0, 0.0), (3.0, 0.0, 0.0)]
#: largest spread of a sagittal tilt over those clicks (degrees). Measured (this fix): superior 12.4-13.6,
#: inferior 10.1-11.8 over the eight clicks of tests/benchmarks/endplate_click_spread.py; the base gave
#: superior -6.3..+24.4 and inferior +8.3..+27.0
SPREAD_DEG = 4.0
#: planes fitted to the top / bottom of the model's L2 body (labels-model AND vertebral-bodies-model,
#: tests/benchmarks/endplate_click_spread.py): superior +14.6, inferior +12.6 sagittal; the model is
#: itself traced on 3 mm slices, so only agreement within this much is asked (degrees)
MODEL_L2_SAGITTAL = {"superior": 14.6, "inferior": 12.6}
MODEL_TOLERANCE_DEG = 5.0
#: the phantom's tilt recovered on 3 mm slices within this (degrees): measured below 1 degree off
PHANTOM_TILT_DEG = 2.0


def test_abdomen_l2_end_plate_tilts_do_not_move_with_the_click(abdomen: Volume) -> None:
    tilts: dict[str, list[float]] = {"superior": [], "inferior": []}
    for move in MOVES:
        anatomy = find_vertebra(abdomen, np.add(L2_CLICK, move))
        for name, values in tilts.items():
            values.append(anatomy.endplate_planes[name].sagittal_tilt_deg)
    for name, values in tilts.items():
        assert max(values) - min(values) <= SPREAD_DEG, (name, values)
        assert abs(float(np.median(values)) - MODEL_L2_SAGITTAL[name]) <= MODEL_TOLERANCE_DEG, (name, values)


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
T12_CLICK = (4.5, -111.0, 416.6)
L1_CLICK = (6.5, -120.9, 386.0)
#: planes fitted to the top / bottom of the model's bodies (z columns, the benchmark's "z model"): T12
#: inferior +13.9, L1 superior +7.1 sagittal
MODEL_T12_INFERIOR = 13.9
MODEL_L1_SUPERIOR = 7.1


def test_abdomen_t12_l1_faint_end_plates_do_not_move_with_the_click(abdomen: Volume) -> None:
    for click, name, model in (
        (T12_CLICK, "inferior", MODEL_T12_INFERIOR),
        (L1_CLICK, "superior", MODEL_L1_SUPERIOR),
    ):
        planes = [find_vertebra(abdomen, np.add(click, move)).endplate_planes[name] for move in MOVES]
        values = [plane.sagittal_tilt_deg for plane in planes]
        assert max(values) - min(values) <= SPREAD_DEG, (name, values)
        assert abs(float(np.median(values)) - model) <= MODEL_TOLERANCE_DEG, (name, values)
        for plane in planes:
            # read on the CT, with an uncertainty, not from the mask's slice steps
            assert plane.tilt_from != "mask_layer", (click, name)
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


def _axis_reference(shared_data: Path, label: int) -> dict[str, tuple[float, float]]:
    """The model body's plates fitted along its own axis (tests/benchmarks/endplate_truth.py)."""
    from imaging.image_files import read_image
    from tests.benchmarks.endplate_truth import reference_tilts

    folder = shared_data / "abdomen-pelvis-ct"
    ct = read_image(folder / "ct.nii.gz")
    body = (read_image(folder / "vertebral-bodies-model.nii.gz").array > 0) & (
        read_image(folder / "labels-model.nii.gz").array == label
    )
    return reference_tilts(ct, body)


@pytest.mark.xfail(
    strict=True,
    reason="the mean-edge tilt's block jackknife under-covers: T12 inferior's +0.6 mm click says ±0.6 deg",
)
def test_abdomen_faint_end_plate_uncertainty_covers_the_click_spread_and_the_reference(
    abdomen: Volume, shared_data: Path
) -> None:
    """The tilt read on the mean profile (abdomen T12 inferior, L1 superior) should say an uncertainty that
    holds both its error against the label reference along the body's axis and its distance from the median
    over the clicks. Measured (67de197 and session 27): ±0.6 at T12's +0.6 mm click, whose sagittal tilt
    +19.5 lies 1.6 from the reference's +17.9 and 2.5 from the clicks' median (+17.0). The jackknife of a
    grid search's best tilt does not measure its spread (the tilt is an argmax, not a smooth statistic).
    Tried in session 27 and not kept: rerunning the whole search per left-out block (T12 ± unchanged, 0.6 at
    that click; +0.9 s CPU per body) and the reach of tilts whose sharpness the blocks cannot tell from the
    best (T12 ± 2.5-5.5, covering; but chest T8 superior 3.0-26.5 and T9 inferior 2.5-31.5 at click spreads
    of 1.0 and 0.5 deg: it cries wolf)."""
    for click, name, short, label in ((T12_CLICK, "inferior", "inf", 32), (L1_CLICK, "superior", "sup", 31)):
        reference = _axis_reference(shared_data, label)[short]
        planes = [find_vertebra(abdomen, np.add(click, move)).endplate_planes[name] for move in MOVES]
        median = (
            float(np.median([p.sagittal_tilt_deg for p in planes])),
            float(np.median([p.coronal_tilt_deg for p in planes])),
        )
        for move, plane in zip(MOVES, planes, strict=True):
            spread = plane.tilt_uncertainty_deg
            assert spread is not None and math.isfinite(spread), (name, move)
            got = (plane.sagittal_tilt_deg, plane.coronal_tilt_deg)
            for k in (0, 1):
                assert abs(got[k] - reference[k]) <= spread, (name, move, got, reference, spread)
                assert abs(got[k] - median[k]) <= spread, (name, move, got, median, spread)
