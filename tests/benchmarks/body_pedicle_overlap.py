"""Study (not run in CI): voxels the body layer and a pedicle layer share, and what the labels call them.

For each real-data click (chest-ct-dicom T7-T12, the bundled sample case T8-T10 as QA s29 F7 clicked it,
abdomen-pelvis-ct T12-L5 and lumbar-ct-labels L2-L4 at their labelled bodies' centroids), the found
body's voxels, each pedicle mask's voxels and the voxels both hold (source grid). Where labels exist the
shared voxels are counted by label: lumbar-ct-labels seg-subreg (49 body cortex + 50 body = "body",
41 arch/pedicle = "pedicle", anything else "other"); abdomen-pelvis-ct (model-made, 3 mm): the level's
model body = "body", the rest of the level's vertebra label = "pedicle" (arch), else "other".

Run from a checkout::

    PYTHONPATH=. /work/main/.venv/bin/python tests/benchmarks/body_pedicle_overlap.py [chest|sample|...]

(one of chest, sample, abdomen, lumbar; all without).

Prints one line per vertebra: body voxels and volume (mL) (with labels: how many of the body's voxels are
labelled pedicle), per side the pedicle's voxels, the shared voxels, and (with labels) the shared voxels'
labels as body/pedicle/other and how many of the pedicle's voxels are labelled body.

Measured (session 29, main cc688f6): the shared voxels are the pedicle mask's base section (the bone of
its narrowest section within the 1 mm the body was grown by, imaging.vertebra_pedicles.find_pedicle),
lying in the body's last 4 mm in front of its back at the posterolateral corners (sample T8-T10, ROI
grid). lumbar-ct-labels L2-L4 (hand labels): none shared. abdomen T12-L5 (model labels, 3 mm): 13 shared
(L2 right 10, L5 left 3), labelled 8 body, 4 arch, 1 neither. chest T7-T12: 0-142 a side (412 in all),
sample T8-T10 14-46 a side; no labels there. The labels do not say the shared voxels are the pedicle's,
so the masks were left as they are.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tests.benchmarks.pedicle_figures import CHEST_Z_MM, DATA, LUMBAR, _sitk_volume

BoolArray = npt.NDArray[np.bool_]
ABDOMEN = {"T12": 32, "L1": 31, "L2": 30, "L3": 29, "L4": 28, "L5": 27}
SAMPLE_Z_MM = {"T8": -44.5, "T9": -68.5, "T10": -92.5}
SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample_case"

#: (name, volume, click, labels): labels map "body" / "pedicle" to boolean arrays on the volume's grid
Case = tuple[str, Any, npt.NDArray[np.float64], dict[str, BoolArray] | None]


def _cases(which: str) -> Iterator[Case]:
    from imaging.load import load_volume

    if which in ("", "chest"):
        chest = load_volume(DATA / "chest-ct-dicom").volume
        for name, z in CHEST_Z_MM.items():
            yield f"chest {name}", chest, np.array((-10.0, 125.0, z)), None
    if which in ("", "sample"):
        sample = load_volume(SAMPLE).volume
        for name, z in SAMPLE_Z_MM.items():
            yield f"sample {name}", sample, np.array((-10.0, 125.0, z)), None
    if which in ("", "abdomen"):
        from scipy import ndimage

        from tests.imaging.test_vertebra_realdata import model_body

        folder = DATA / "abdomen-pelvis-ct"
        ct = _sitk_volume(folder / "ct.nii.gz")
        levels = _sitk_volume(folder / "labels-model.nii.gz").array
        bodies, _ = ndimage.label(_sitk_volume(folder / "vertebral-bodies-model.nii.gz").array == 1)
        for name, label in ABDOMEN.items():
            body = model_body(levels, bodies, label)
            click = ct.index_to_lps_points(np.argwhere(body).mean(axis=0))
            yield f"abdomen {name}", ct, click, {"body": body, "pedicle": (levels == label) & ~body}
    if which in ("", "lumbar"):
        folder = DATA / "lumbar-ct-labels"
        ct = _sitk_volume(folder / "sub-ct_label-22_ct.nii.gz")
        sub = _sitk_volume(folder / "sub-ct_seg-subreg_label-22_msk.nii.gz").array
        vert = _sitk_volume(folder / "sub-ct_seg-vert_label-22_msk.nii.gz").array
        for name, label in LUMBAR.items():
            body = (vert == label) & np.isin(sub, [49, 50])
            click = ct.index_to_lps_points(np.argwhere(body).mean(axis=0))
            # label 41 of any level: the shared voxels lie at this level's pedicle roots
            yield f"lumbar {name}", ct, click, {"body": np.isin(sub, [49, 50]), "pedicle": sub == 41}


def main(which: str = "") -> None:
    from imaging.vertebra import find_vertebra
    from imaging.vertebra_errors import VertebraNotFoundError

    totals = {"shared": 0, "body": 0, "pedicle": 0, "other": 0}
    for name, volume, click, labels in _cases(which):
        try:
            anatomy = find_vertebra(volume, click)
        except VertebraNotFoundError as exc:
            print(f"{name}: refused ({exc.reason})")
            continue
        body = anatomy.body.to_full()
        words = [f"{name}: body {int(body.sum())} vox {anatomy.body_volume_ml:.3f} mL"]
        if labels is not None:
            words[0] += f" ({int((body & labels['pedicle'] & ~labels['body']).sum())} labelled pedicle)"
        for side, ped in sorted(anatomy.pedicles.items(), key=lambda kv: kv[0].value):
            if ped.mask is None:
                continue
            pm = ped.mask.to_full()
            shared = body & pm
            n = int(shared.sum())
            totals["shared"] += n
            share = 100.0 * n / max(int(pm.sum()), 1)
            said = f"{side.value} pedicle {int(pm.sum())} vox, shared {n} ({share:.1f} %)"
            if labels is not None and n:
                in_body = int((shared & labels["body"]).sum())
                in_ped = int((shared & labels["pedicle"] & ~labels["body"]).sum())
                other = n - in_body - in_ped
                totals["body"] += in_body
                totals["pedicle"] += in_ped
                totals["other"] += other
                said += f" labelled body {in_body} / pedicle {in_ped} / other {other}"
            if labels is not None:
                said += f"; pedicle labelled body {int((pm & labels['body']).sum())}"
            words.append(said)
        print("; ".join(words), flush=True)
    print(f"total shared {totals['shared']}; of those with labels: {totals}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
