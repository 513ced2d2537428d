"""End plate tilts are a property of the bone, not of where in the body the operator clicked (QA s25 E1).

The plane was fitted to the end plate layer of the body's mask on the 1 mm ROI, a staircase of a 3 mm
scan whose cut moved with the click: abdomen L2's superior end plate read -6.3 to +24.4 degrees sagittal
for clicks up to 3 mm apart. It is now fitted to the CT's own edge along each column of the body's middle
(imaging.endplate_edge).
"""

from __future__ import annotations

import math

import numpy as np

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
