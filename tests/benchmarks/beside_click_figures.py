"""Study (not run in CI): clicks beside the vertebral body, and the canal's angle behind real bodies.

Run from a checkout (its ``imaging`` is imported), once per version::

    PYTHONPATH=. .venv/bin/python tests/benchmarks/beside_click_figures.py clicks|angles

- ``clicks``: the clicks of tests/imaging/test_click_beside_realdata.py (a rib head, transverse processes,
  the scapula, pedicles 16 mm beside the canal; session 22 found them accepted as vertebrae), one line each:
  ``ACCEPTED`` with the body's volume and centroid and the canal's centroid, or the refusal.
- ``angles``: for the body clicks of ``click_place_figures.py body``, the angle between straight behind
  the body found and its canal (:func:`imaging.click_beside.canal_aside_deg`; the check's limit is
  ``MAX_CANAL_ASIDE_DEG``), the body's volume and whether the canal was enclosed by bone. Only with this
  change's ``imaging`` (the angle is recorded where the check runs).

Positions LPS mm.
"""

from __future__ import annotations

import sys

import numpy as np


def _clicks() -> None:
    from imaging.load import load_volume
    from imaging.vertebra import find_vertebra
    from imaging.vertebra_errors import VertebraNotFoundError
    from tests.benchmarks.pedicle_figures import DATA
    from tests.imaging.test_click_beside_realdata import ABDOMEN_BESIDE, CHEST_BESIDE

    chest = load_volume(DATA / "chest-ct-dicom").volume
    abdomen = load_volume(DATA / "abdomen-pelvis-ct" / "ct.nii.gz").volume
    for where, volume, clicks in (("chest", chest, CHEST_BESIDE), ("abdomen", abdomen, ABDOMEN_BESIDE)):
        for name, click in clicks.items():
            try:
                a = find_vertebra(volume, click)
                at = np.round(a.body_centroid_lps, 1).tolist()
                canal = np.round(a.canal_centroid_lps, 1).tolist()
                said = f"ACCEPTED body {a.body_volume_ml:.1f} mL at {at}, canal at {canal}"
            except VertebraNotFoundError as exc:
                said = f"{type(exc).__name__}: {exc.reason}"
            print(f"{where} {name} {click}: {said}", flush=True)


def _angles() -> None:
    import imaging.click_beside as beside
    import imaging.vertebra as vertebra
    from imaging.vertebra_errors import VertebraNotFoundError
    from tests.benchmarks.click_place_figures import _body_clicks

    seen: list[float] = []
    original = beside.refuse_body_beside_canal

    def recording(roi, masks, body, canal, click, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(beside.canal_aside_deg(body, canal))
        original(roi, masks, body, canal, click, **kwargs)

    vertebra.refuse_body_beside_canal = recording  # type: ignore[assignment]
    angles: list[float] = []
    for name, volume, click in _body_clicks():
        seen.clear()
        try:
            a = vertebra.find_vertebra(volume, click)
            said = f"OK body {a.body_volume_ml:.1f} mL, {a.notes[0]}"
            angles.append(seen[-1])
        except VertebraNotFoundError as exc:
            said = f"{type(exc).__name__}: {exc.reason[:120]}"
        angle = f"{seen[-1]:.0f} deg" if seen else "-"
        print(f"{name}: canal {angle} from straight behind | {said}", flush=True)
    if angles:
        print(f"accepted: {len(angles)}, angle {min(angles):.0f}-{max(angles):.0f} deg")


if __name__ == "__main__":
    {"clicks": _clicks, "angles": _angles}[sys.argv[1] if len(sys.argv) > 1 else "clicks"]()
