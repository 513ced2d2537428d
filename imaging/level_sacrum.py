"""The sacrum at a click: is the bone there S1 (its alae meeting the iliac bones, fused below)?

:func:`is_sacrum` works from a click alone (the vertebra finder refuses the sacrum): at the click's
level the central bone is wider than a lumbar body and meets a large bone on both sides (the iliac
bones) across a thin sacroiliac joint, or is fused with it, and no intervertebral disc lies below the
point (S1 is continuous with the sacral segments; :func:`imaging.level_disc.disc_below`). L5 has the
L5-S1 disc below it: its transverse processes, which may come within a few millimetres of the iliac
crest or the sacral ala, and the ala itself, which an axial slab at L5's lower half reaches, do not
make it the sacrum. A vertebra that carries ribs (:func:`imaging.level_ribs.has_ribs`) is not the
sacrum either. The S1 suggestion built on it is in :mod:`imaging.level_anatomy`.

Positions are LPS mm (+x patient left, +y posterior, +z superior); CT values HU. Work is done on an
axial slab resampled along the patient's axes (:mod:`imaging.level_grid`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.level_disc import disc_below
from imaging.level_grid import BONE_THRESHOLD_HU, STEP_MM, bone_on_grid, point_lps, resample_local
from imaging.level_ribs import has_ribs
from imaging.vertebra_model import Side
from imaging.volume import Volume

# -- defaults (anatomical reasons in the comments; every one is a keyword argument) ---------------
#: sacrum: the sacroiliac joint space is 2-5 mm; measured between sample centres (2 mm apart) a joint
#: reads up to about 6 mm (a lumbar transverse process near the iliac crest stays 8 mm or more away)
SI_GAP_MM = 6.0
#: an ilium reaches far laterally (the iliac wing spans 10-15 cm from the midline); a lumbar
#: transverse process ends by 5 cm
ILIUM_LATERAL_MM = 80.0
#: the sacrum with its alae is 10-12 cm wide; a lumbar body is 4-5.5 cm wide
SACRUM_MIN_WIDTH_MM = 75.0
#: half-height of the axial slab examined at the click (mm): the sacroiliac joints span S1-S3
SACRUM_SLAB_MM = 10.0
#: anteroposterior band around the click where the sacral width is measured (the alae flank the S1
#: body; lumbar transverse processes lie 2-4 cm behind the body's centre, outside it)
SACRUM_AP_BAND_MM = 12.0


@dataclass(frozen=True)
class SacrumFinding:
    """The sacrum check at a point: ``is_sacrum`` with per-side joint findings and the width (mm)."""

    is_sacrum: bool | None
    width_mm: float
    joined: dict[Side, bool]
    reason: str
    elapsed_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "is_sacrum": self.is_sacrum,
            "width_mm": round(self.width_mm, 1),
            "joined": {s.value: v for s, v in self.joined.items()},
            "reason": self.reason,
        }


# -- public API -------------------------------------------------------------------------------------
def is_sacrum(
    volume: Volume,
    click_lps: Sequence[float] | npt.ArrayLike,
    *,
    threshold_hu: float = BONE_THRESHOLD_HU,
    si_gap_mm: float = SI_GAP_MM,
    min_width_mm: float = SACRUM_MIN_WIDTH_MM,
) -> SacrumFinding:
    """Is the bone at ``click_lps`` the sacrum? Needs only the point (patient axes are used).

    The sacrum at S1 is wider than any lumbar body (its alae) and meets the iliac bones at the
    sacroiliac joints on both sides at the same level. The central bone at the click (in an axial
    slab) must span at least ``min_width_mm`` across the click's anteroposterior band and, on each
    side, either reach the ilium (fused, or partial volume across the joint) or come within
    ``si_gap_mm`` of a large bone reaching far laterally. S1 is fused with the sacral segments below
    it: a point with an intervertebral disc below it (:func:`imaging.level_disc.disc_below`) is a
    vertebra above the sacrum (L5, whose transverse processes can come close to the ilia), and a
    vertebra that carries ribs is not the sacrum.

    Returns
    -------
    SacrumFinding
        ``is_sacrum`` None when the field of view cuts the region where the joints would be.

    Raises
    ------
    ValueError
        If ``click_lps`` is not 3 finite values.
    """
    t0 = time.perf_counter()
    centre = point_lps(click_lps, "click_lps")
    step = STEP_MM
    lat = ILIUM_LATERAL_MM + 20.0
    xs = np.arange(-lat, lat + step / 2, step)
    ys = np.arange(-60.0, 80.0 + step / 2, step)
    zs = np.arange(-SACRUM_SLAB_MM, SACRUM_SLAB_MM + step / 2, step)
    hu, inside = resample_local(volume, centre, np.eye(3), xs=xs, ys=ys, zs=zs)
    bone = bone_on_grid(hu, inside, threshold_hu, step)
    labels, _ = ndimage.label(bone, structure=np.ones((3, 3, 3), dtype=bool))
    gx = xs[:, None, None]
    gy = ys[None, :, None]
    near_click = (np.abs(gx) <= 10.0) & (np.abs(gy) <= 10.0)
    ids, counts = np.unique(labels[near_click & bone], return_counts=True)
    if len(ids) == 0:
        return SacrumFinding(
            False,
            0.0,
            {Side.LEFT: False, Side.RIGHT: False},
            "no bone at the point",
            time.perf_counter() - t0,
        )
    central = labels == ids[int(np.argmax(counts))]
    band = central & (np.abs(gy) <= SACRUM_AP_BAND_MM)
    xb = np.broadcast_to(gx, bone.shape)[band]
    width = float(xb.max() - xb.min() + step) if xb.size else 0.0
    dist = ndimage.distance_transform_edt(~central, sampling=step)
    joined: dict[Side, bool] = {}
    notes: list[str] = []
    out_of_view = False
    for side, sign in ((Side.LEFT, 1.0), (Side.RIGHT, -1.0)):
        sx = sign * gx
        reach = float(np.max(np.where(central, sx, -np.inf)))
        if reach >= ILIUM_LATERAL_MM:
            joined[side] = True
            notes.append(f"{side.value}: fused with bone reaching {reach:.0f} mm (ilium)")
            continue
        far = bone & ~central & (sx >= ILIUM_LATERAL_MM)
        ilium_ids = np.unique(labels[far])
        ilium_ids = ilium_ids[ilium_ids > 0]
        gap = np.inf
        for i in ilium_ids:
            gap = min(gap, float(dist[labels == i].min()))
        if gap <= si_gap_mm:
            joined[side] = True
            notes.append(
                f"{side.value}: meets a bone reaching past {ILIUM_LATERAL_MM:.0f} mm across {gap:.0f} mm"
            )
            continue
        joined[side] = False
        region = (sx > 0) & (sx <= ILIUM_LATERAL_MM) & (np.abs(gy) <= 40.0)
        if float(inside[np.broadcast_to(region, inside.shape)].mean()) < 0.9:
            out_of_view = True
            notes.append(f"{side.value}: the region of the sacroiliac joint is outside the field of view")
        elif np.isfinite(gap):
            notes.append(f"{side.value}: nearest large lateral bone is {gap:.0f} mm away (no joint)")
        else:
            notes.append(f"{side.value}: no large bone lateral to it")
    both = all(joined.values())
    wide = width >= min_width_mm
    verdict: bool | None = both and wide
    if not verdict and out_of_view:
        verdict = None
    if verdict:
        # the sacrum has no disc below S1 (its segments are fused); L5 has the L5-S1 disc below it
        disc = disc_below(volume, centre)
        if disc.found:
            verdict = False
            notes.append(disc.reason + " (S1 has none: a vertebra above the sacrum)")
        elif disc.found is None:
            verdict = None
            notes.append("whether a disc lies below it is unknown: " + disc.reason)
    if verdict:
        # ribs fused with a thoracic vertebra also reach far laterally on both sides: a vertebra that
        # carries ribs is not the sacrum
        ribs = has_ribs(volume, centre, threshold_hu=threshold_hu)
        if ribs.has_ribs:
            verdict = False
            notes.append("the bone reaching the sides is ribs (" + ribs.reason + ")")
    if verdict:
        reason = (
            f"sacrum: alae meet the iliac bones (sacroiliac joints, left and right), {width:.0f} mm wide, "
            "no disc below"
        )
    else:
        why = [] if wide else [f"{width:.0f} mm wide (sacrum >= {min_width_mm:.0f} mm)"]
        against = [n for n in notes if "meets" not in n and "fused" not in n]
        reason = "not the sacrum: " + "; ".join(why + against)
        if verdict is None:
            reason = "undecided: " + reason
    return SacrumFinding(verdict, width, joined, reason, time.perf_counter() - t0)
