"""Study (not run in CI): can "inside a bone's outline" tell a vertebral body's dark interior from the soft
tissue in front of the body (session 29, task A: the strict xfail of
tests/imaging/test_click_near_bone_realdata.py, soft tissue 4-6 mm in front of lumbar L3 giving a blob)?

Run from a checkout (one group, or all)::

    PYTHONPATH=. .venv/bin/python tests/benchmarks/soft_click_outline_figures.py [front|body|lytic]

- ``front``: the xfail's two clicks, and the soft-tissue clicks of lamina_soft_click_figures.py ``soft``;
- ``body``: the accepted body clicks of click_place_figures.py ``body`` (must stay accepted);
- ``lytic``: its painted lytic lesions, clicked at their centres (must stay accepted).

For each point reading soft tissue (imaging.click_tissue) in the vertebra search's region (1 mm grid): the
distance to the nearest voxel of the bony solid's bone (150 HU, imaging.bony_masks), then whether the point
lies inside a bone's outline (imaging.bone_outline.bone_outline, 3 mm: the breach test's) taken of the
bone (150) or of what reads denser than soft tissue (100 HU, imaging.click_tissue.SOFT_BELOW_HU), its
cavities filled in 3-D (``3d``), in axial planes (``ax``) or in axial, coronal or sagittal planes (``any``),
and inside the convex hull of the bone in its axial section (``hull``), each as 1/0; and the CPU time of the
region, the bony solid and one outline. A rule "soft, more than 3 mm from bone and outside the outline:
refused" refuses the point where its column reads 0 and the distance exceeds 3 mm (``*``).

Measured on a28b0dd + e0ed050 (session 29): points the rule would refuse, per variant, of the ``front``
group's 14 (12 soft; both xfail clicks among the refused for every variant), the ``body`` group's 107 (35
soft, 15 of them more than 3 mm from bone: must be 0) and the ``lytic`` group's 91 (all soft: must be 0):

    3d150  front 11  body 23  lytic 70   (3-D: no body's dark interior is enclosed; lumbar L3's centre not)
    ax150  front 11  body 13  lytic 32   (the 3 mm abdomen's cortex is in pieces at 150 HU)
    ax100  front 11  body  0  lytic  9   (abdomen L1, L2, L5 and chest T7 lesions on the posterior wall)
    any100 front 11  body  0  lytic  4   (abdomen L1, L2 wall band, L2 3 mm in front of it, chest T7 band)
    hull150 front 10 body  0  lytic  0   (the abdomen's right psoas lies inside the pelvis's hull)

A lesion through the posterior wall opens the body's ring into the canal, which no outline closes on the
abdomen: refusing those would refuse the lesions that matter most for cement. So no outline variant was
kept; the axial section's convex hull separated every group here. It landed in session 29 (task A2) as
imaging.click_soft.soft_outside_section_hull, asked before any search (the ``planes_normal_to`` option of
imaging.bone_outline is kept for this study's ``ax`` and ``any`` columns).
CPU per soft click (mean of 138): region 39 ms, bony solid 95 ms, one outline 22 ms.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
from skimage.morphology import convex_hull_image

from imaging.bone_outline import bone_outline
from imaging.bony_masks import bony_solid
from imaging.click_tissue import SOFT_BELOW_HU, Tissue, click_tissue
from imaging.vertebra import ROI_HIGH_MM, ROI_LOW_MM
from imaging.vertebra_roi import resample_roi
from tests.benchmarks import click_place_figures, lamina_soft_click_figures

#: the xfail's clicks (lumbar-ct-labels), 4 and 6 mm in front of L3's anterior cortex
XFAIL_FRONT = {"4 mm in front of L3": (26.0, 139.6, -64.9), "6 mm in front of L3": (26.0, 137.6, -64.9)}
#: the breach test's gap (mm), LesionParameters.envelope_closing_mm
GAP_MM = 3.0
#: the click tolerance (mm), imaging.vertebra_steps.CLICK_IN_BODY_MM
TOLERANCE_MM = 3.0


def _front() -> Iterator[tuple[str, Any, np.ndarray]]:
    (_, lumbar, _), *_ = lamina_soft_click_figures.cases("lumbar L3")
    for name, click in XFAIL_FRONT.items():
        yield f"lumbar {name}", lumbar, np.array(click)
    for name, volume, click, _ in lamina_soft_click_figures._soft_clicks():
        yield name, volume, click


def _columns(volume: Any, click: np.ndarray) -> str:
    tissue = click_tissue(volume, click)
    if tissue.tissue is not Tissue.SOFT:
        return f"{tissue.tissue.name} {tissue.median_hu:.0f} HU"
    t0 = time.process_time()
    roi = resample_roi(volume, click, np.array([ROI_LOW_MM, ROI_HIGH_MM]), 1.0)
    t1 = time.process_time()
    masks = bony_solid(roi)
    bone = masks.bone & roi.inside
    t2 = time.process_time()
    at = tuple(int(v) for v in np.rint(roi.lps_to_index(click)))
    points = roi.voxel_points_lps(bone)
    far = float(np.min(np.linalg.norm(points - click, axis=1))) if len(points) else float("inf")
    dense = (masks.smoothed > SOFT_BELOW_HU) & roi.inside
    spacing = (1.0, 1.0, 1.0)
    t3 = time.process_time()
    inside = {"3d150": bone_outline(bone, GAP_MM, spacing)[at]}
    t4 = time.process_time()
    inside["ax150"] = bone_outline(bone, GAP_MM, spacing, planes_normal_to=0)[at]
    inside["ax100"] = bone_outline(dense, GAP_MM, spacing, planes_normal_to=0)[at]
    inside["any100"] = inside["ax100"] or any(
        bone_outline(dense, GAP_MM, spacing, planes_normal_to=a)[at] for a in (1, 2)
    )
    inside["hull150"] = bool(bone[at[0]].any()) and convex_hull_image(bone[at[0]])[at[1:]]
    said = " ".join(
        f"{k} {int(bool(v))}{'*' if far > TOLERANCE_MM and not v else ' '}" for k, v in inside.items()
    )
    cost = f"cpu ms: region {1e3 * (t1 - t0):.0f} solid {1e3 * (t2 - t1):.0f} outline {1e3 * (t4 - t3):.0f}"
    return f"SOFT {tissue.median_hu:.0f} HU, bone {far:.1f} mm | {said} | {cost}"


def main(which: str) -> None:
    groups = {
        "front": _front,
        "body": click_place_figures._body_clicks,
        "lytic": click_place_figures._lytic_clicks,
    }
    for group in [which] if which else list(groups):
        for name, volume, click in groups[group]():
            print(f"{group} {name}: {_columns(volume, np.asarray(click, dtype=np.float64))}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
