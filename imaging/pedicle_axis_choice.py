"""Which of a pedicle's candidate axes runs through the pedicle: the one best centred in its bone.

The pedicle is the bone bridge joining the body to the arch; its axis is the line that stays inside that
bridge, midway between its medial and lateral walls, over the bridge's length. Candidate axes (the
waist's normal through its middle, :func:`imaging.pedicle_axis_direction.across_waist`; the walls'
midline or the traced sections' line, :func:`imaging.pedicle_midline.walls_direction`) are each scored
by how centred they stay in the bone across them along that length (:func:`bridge_centring`), and the
best is taken. The bridge is taken around the pedicle's waist (its isthmus, found without any axis,
:mod:`imaging.pedicle_waist`): ``BRIDGE_HALF_WIDTHS`` waist widths in front of it and behind it along
the body's posterior direction. A line along the arch behind the pedicle crosses that bridge obliquely,
near one wall at its front and the other at its back (bone-lesions case7 right: the sections' line
-31..-2 degrees against the waist's normal 22-29, the pedicle about 26 on the images).

Frame (:class:`imaging.vertebra_pedicle_sections.VertebraFrame`): body centroid ``c``, superior ``a``,
posterior ``p``, patient left ``l``. Positions LPS mm, lengths mm.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from imaging.pedicle_profile import profiles_on_lines
from imaging.pedicle_waist import WaistChord
from imaging.vertebra_pedicle_sections import VertebraFrame
from imaging.vertebra_roi import LpsRoi
from imaging.volume import Volume

__all__ = ["BRIDGE_HALF_WIDTHS", "CHOICE_MARGIN", "best_centred", "bridge_centring"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: the bridge scored runs this many waist widths either side of the waist along ``p``: a pedicle is
#: about as long from the body's back to the arch as it is wide (*unverified*: CLINICAL.md gives widths
#: only); the choice's sensitivity to it is measured in tests/benchmarks/pedicle_switch_study.py
BRIDGE_HALF_WIDTHS = 1.0
#: another candidate replaces the first only where it scores more than this above it: about twice the
#: standard deviation of one candidate's score under 1 mm moves of the click (bone-lesions case7 right,
#: the waist's normal over seven clicks: 0.40-0.47, SD 0.022); nearer scores do not tell the lines apart
#: (the vertebra phantom's left pedicle, tests/imaging/test_foramina_isthmus.py: walls' midline 15.7 deg
#: at 0.726 against the waist's normal 12.2 at 0.727)
CHOICE_MARGIN = 0.05
#: places along the bridge scored every this (mm along the candidate)
BRIDGE_STEP_MM = 0.5
#: heights (mm along the candidate's up) the centring is read at: a pedicle's section is an oval, so one
#: chord's middle moves with height (as imaging.pedicle_midline.HEIGHTS_MM)
CENTRING_HEIGHTS_MM = (-2.5, 0.0, 2.5)


def bridge_centring(
    volume: Volume,
    roi: LpsRoi,
    solid: BoolArray,
    *,
    point: FloatArray,
    direction: FloatArray,
    frame: VertebraFrame,
    t_range_mm: tuple[float, float],
    min_posterior: float,
) -> float:
    """How centred the line through ``point`` along ``direction`` stays in the bone across it, over the
    depths ``t_range_mm`` (mm along ``p`` from the centroid): 0-1.

    At each place (every ``BRIDGE_STEP_MM``) and height (``CENTRING_HEIGHTS_MM``) the bone's two edges
    across the line (mediolateral, perpendicular to it, as :func:`imaging.pedicle_profile.edges_across` on
    the source CT) give ``1 - |offset of their middle| / half their distance``; a place where the
    line is not inside bone gives 0. The mean over all places and heights is returned.
    """
    c, p, lft = frame.centroid_lps, frame.posterior, frame.left
    along_p = max(float(direction @ p), min_posterior)
    t0 = float((point - c) @ p)
    s_lo, s_hi = (t_range_mm[0] - t0) / along_p, (t_range_mm[1] - t0) / along_p
    across = lft - (lft @ direction) * direction
    across = across / np.linalg.norm(across)
    up = np.cross(direction, across)
    heights = np.asarray(CENTRING_HEIGHTS_MM, dtype=np.float64)
    places = np.arange(s_lo, s_hi + 1e-9, BRIDGE_STEP_MM)
    if len(places) == 0:
        return 0.0
    # every place and height's line sampled at once
    centres = (point + places[:, None] * direction)[:, None, :] + heights[None, :, None] * up
    lines = profiles_on_lines(volume, roi, solid, centres_lps=centres.reshape(-1, 3), across=across, up=up)
    scores: list[float] = []
    for k in range(len(places) * len(heights)):
        edges = lines.edges(k)
        if edges is None:
            scores.append(0.0)
            continue
        lo, hi = edges
        half = 0.5 * (hi - lo)
        scores.append(max(0.0, 1.0 - abs(0.5 * (lo + hi)) / half) if half > 0.0 else 0.0)
    return float(np.mean(scores)) if scores else 0.0


def best_centred(
    candidates: Sequence[tuple[FloatArray, FloatArray]],
    *,
    volume: Volume,
    roi: LpsRoi,
    solid: BoolArray,
    frame: VertebraFrame,
    chord: WaistChord,
    min_posterior: float,
) -> tuple[tuple[FloatArray, FloatArray], list[float]]:
    """The candidate (direction, point) best centred in the pedicle's bridge around the waist ``chord``,
    and every candidate's score (:func:`bridge_centring`); the first candidate is kept unless another
    scores more than ``CHOICE_MARGIN`` above it."""
    t_waist = float((chord.middle_lps - frame.centroid_lps) @ frame.posterior)
    half = BRIDGE_HALF_WIDTHS * chord.length_mm
    t_range = (t_waist - half, t_waist + half)
    scores = [
        bridge_centring(
            volume,
            roi,
            solid,
            point=pt,
            direction=d,
            frame=frame,
            t_range_mm=t_range,
            min_posterior=min_posterior,
        )
        for d, pt in candidates
    ]
    k = int(np.argmax(scores))
    if scores[k] - scores[0] <= CHOICE_MARGIN:
        k = 0
    return candidates[k], scores
