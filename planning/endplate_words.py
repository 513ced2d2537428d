"""An end plate's line for the Vertebrae dock and the command line's text: where it lies, its tilt, and how
far that tilt can be trusted.

The tilt's uncertainty comes from the anatomy search (:mod:`imaging.endplate_fit`: twice the block-jackknife
standard error of the plane fitted to the CT's edge over the body's middle, ``tilt_uncertainty_deg``), said
in whole degrees, rounded up ("±3 deg"). The tilt is said to be uncertain, with why, when the plane was
fitted to the mask's slice steps because no edge showed on the CT (``tilt_from`` "mask_layer": its tilt moved
by up to 20 degrees with the click on 3 mm slices, tests/benchmarks/endplate_click_spread.py), or when the
uncertainty is over :data:`UNCERTAIN_TILT_DEG`. A plate whose layer the CT's edge contradicts has no tilt
(``tilt_not_measured``, why; :mod:`imaging.endplate_fit`), and the line says so. Figures saved before the
uncertainty was kept (no ``tilt_from``) are said as they were.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["UNCERTAIN_TILT_DEG", "endplate_text", "tilt_is_uncertain"]

#: an edge-read tilt whose uncertainty is larger than this is said to be uncertain (degrees). Measured at 8
#: clicks per body (tests/benchmarks/endplate_click_spread.py; sessions 26-27), column-edge plates: abdomen
#: T12-L5 (3 mm) ± 1.5-4.1, click spreads 0.1-2.4, worst errors against the label reference along the axis
#: (tests/benchmarks/endplate_truth.py) 0.4-2.3 per plate; lumbar L2-L4 (1.5 mm) ± 3.7-5.0 on L3 / L4 superior
#: (spreads 0.4-2.8, worst errors 1.2-3.1) and 4.9-7.6 on L2 inferior, whose tilt itself spreads 5.0 over the
#: clicks; chest T7-T11 (2 mm, no labels) ± 0.6-2.1, spreads 0.0-0.7. So 5 keeps every steady plate
#: certain and calls L2 inferior uncertain at 5 of its 7 clicks. One part of a plate moving the tilt more
#: than that is a plate that is not one plane (an osteophyte, a Schmorl's node, a fracture) or an edge that
#: is not all the plate's (abdomen L1 superior, read on the mean: 5.8-8.0, spread 2.2)
UNCERTAIN_TILT_DEG = 5.0
#: what the line says a plane was read from
SOURCE_WORDS = {
    "ct_edge": "the edge read on the CT",
    "ct_edge_mean": "the edge read on the CT's mean over the plate (too faint column by column)",
}
LAYER_WORDS = "no edge read on the CT: the plane follows the mask's slice steps and moves with the click"


def tilt_is_uncertain(e: Mapping[str, Any]) -> bool:
    """True when a found end plate's tilt is uncertain (see the module); False for figures saved before."""
    source = e.get("tilt_from")
    if source is None:
        return False
    spread = e.get("tilt_uncertainty_deg")
    return source not in SOURCE_WORDS or spread is None or spread > UNCERTAIN_TILT_DEG


def endplate_text(e: Mapping[str, Any]) -> str:
    """An endplate's line: its centre and tilt (with the tilt's uncertainty) when found, why not when the
    scan's edge cut it."""
    if not e.get("found"):
        return "not seen (the edge of the scan cuts the body there)" if e.get("cut_by_scan") else "not found"
    if "center_lps" not in e:
        why = e.get("tilt_not_measured")
        return (
            "found (drawn as a layer)"
            if why is None
            else f"found, tilt not measured: {why} (drawn as a layer)"
        )
    c = e["center_lps"]
    tilts = f"sagittal {e['sagittal_tilt_deg']:+.1f}, coronal {e['coronal_tilt_deg']:+.1f} deg"
    source = e.get("tilt_from")
    spread = e.get("tilt_uncertainty_deg")
    if source is None:
        trust = ""
    elif source not in SOURCE_WORDS or spread is None:
        trust = f": uncertain, {LAYER_WORDS}"
    elif spread > UNCERTAIN_TILT_DEG:
        trust = (
            f": uncertain, ±{_whole(spread)} deg (the plate's parts disagree; from {SOURCE_WORDS[source]})"
        )
    else:
        trust = f", ±{_whole(spread)} deg (from {SOURCE_WORDS[source]})"
    return (
        f"found, centre ({c[0]:.1f}, {c[1]:.1f}, {c[2]:.1f}) mm LPS, "
        f"tilted {e['tilt_from_axial_deg']:.1f} deg from the axial plane "
        f"({tilts}{trust}; + rises anteriorly / to the left), drawn as a layer"
    )


def _whole(spread: float) -> int:
    """The uncertainty in whole degrees, rounded up, at least 1."""
    return max(1, math.ceil(spread - 1e-9))
