"""Study (not run in CI): refused clicks that were said to be "on the disc", and true disc clicks.

Run from a checkout::

    PYTHONPATH=. .venv/bin/python tests/benchmarks/refusal_place_figures.py

Session 22 found clicks on the chest CT's spinous processes (T9-T11), transverse processes (T8, T9) and
sternum, and on the 3 mm abdomen's L3 arch 10 mm behind the canal, refused as "on the disc between two
vertebrae". For each click: the disc :func:`imaging.disc_click.disc_at_point` finds there, the breadth
of its end plates (:func:`imaging.disc_cover.endplate_cover_mm`, side to side x front to back), where
the point lies against the canal (:func:`imaging.spine_place.spine_place`), with CPU times, and what
:func:`imaging.vertebra.find_vertebra` answers. The true disc clicks are those of the disc tests
(tests/imaging/test_disc_click_*.py, test_disc_scan_edge.py, test_vertebra_warnings.py). Positions LPS mm.
"""

from __future__ import annotations

import time

from imaging.disc_click import disc_at_point
from imaging.disc_cover import endplate_cover_mm
from imaging.load import load_volume
from imaging.spine_place import spine_place
from imaging.vertebra import find_vertebra
from imaging.vertebra_errors import VertebraNotFoundError
from tests.benchmarks.pedicle_figures import DATA

Point = tuple[float, float, float]

#: chest-ct-dicom clicks said to be on a disc in session 22 (tests/imaging/test_click_rib_realdata.py
#: and task B's report), and other bone near the spine
CHEST_NOT_DISCS: dict[str, Point] = {
    "T9 spinous": (-7.5, 169.5, -68.5),
    "T10 spinous": (-2.5, 177.5, -92.0),
    "T11 spinous": (-5.0, 177.0, -116.0),
    "T9 left transverse": (27.5, 164.0, -68.5),
    "T8 right transverse": (-38.0, 168.0, -40.0),
    "sternum z1": (0.0, -53.0, 1.0),
    "T8 left TP tip at rib": (28.0, 162.0, -40.0),
    "T11 right TP tip at rib": (-36.0, 158.0, -116.0),
    "arch behind T8's canal": (14.0, 163.0, -45.0),
    "upper spinous z40": (-9.0, 165.0, 40.0),
    "sternum z40": (0.0, -38.0, 40.0),
}
#: the 3 mm abdomen: L3 10 mm behind the canal (wall_click_figures.py, unrounded), processes
ABDOMEN_NOT_DISCS: dict[str, Point] = {
    "L3 canal +10": (2.64, -107.64, 316.71),
    "L3 spinous": (0.0, -77.5, 304.3),
    "L3 right transverse": (-47.0, -109.3, 319.3),
}
CHEST_DISCS: dict[str, Point] = {
    "T10/T11 -104.5": (-5.9, 118.0, -104.5),
    "T11/T12 -130.5": (-6.0, 118.0, -130.5),
    "T12/L1 -154.5 y108": (-5.8, 108.0, -154.5),
    "T9/T10 -81.5": (-8.0, 118.0, -81.5),
    "front -104.5 y112": (-5.9, 112.0, -104.5),
    "front -105.5 y112": (-8.0, 112.0, -105.5),
    "front -154.5 y100": (-5.8, 100.0, -154.5),
    "front -81.5 y112": (-8.0, 112.0, -81.5),
    "edge -157.5": (-6.0, 118.0, -157.5),
    "edge -154.5": (-5.8, 118.0, -154.5),
    "edge -159.0": (-8.0, 112.0, -159.0),
    "edge -159.5": (-6.0, 108.0, -159.5),
}
ABDOMEN_DISCS: dict[str, Point] = {
    "L4/L5": (2.85, -138.65, 260.8),
    "L3/L4": (4.65, -142.35, 296.8),
    "L2/L3": (5.4, -137.15, 332.8),
    "L1/L2": (6.2, -126.95, 367.3),
}


def main() -> None:
    chest = load_volume(DATA / "chest-ct-dicom").volume
    abdomen = load_volume(DATA / "abdomen-pelvis-ct" / "ct.nii.gz").volume
    groups = (
        ("not disc", chest, CHEST_NOT_DISCS),
        ("not disc", abdomen, ABDOMEN_NOT_DISCS),
        ("disc", chest, CHEST_DISCS),
        ("disc", abdomen, ABDOMEN_DISCS),
    )
    for kind, volume, clicks in groups:
        for name, click in clicks.items():
            t0 = time.process_time()
            disc = disc_at_point(volume, click)
            plates = None if disc is None else endplate_cover_mm(volume, click, disc)
            cover = "no disc" if plates is None else f"plates {plates[0]:.0f} x {plates[1]:.0f} mm"
            t1 = time.process_time()
            place = spine_place(volume, click)
            t2 = time.process_time()
            at = place.canal_lps
            canal = "" if at is None else f" canal ({at[0]:.0f}, {at[1]:.0f}, {at[2]:.0f})"
            where = f"{place.place.value}{canal} beside {place.beside_mm:.0f} mm"
            try:
                anatomy = find_vertebra(volume, click)
                said = f"ACCEPTED body {anatomy.body_volume_ml:.1f} mL"
            except VertebraNotFoundError as exc:
                said = f"{type(exc).__name__}: {exc.reason}"
            times = f"({t1 - t0:.2f} s) | {where} ({t2 - t1:.2f} s)"
            print(f"{kind:8s} {name:24s} {click} | {cover} {times} | {said}", flush=True)


if __name__ == "__main__":
    main()
