"""A vertebra's anatomy figures as the operator reads them: values to keep with the case, and lines.

:func:`vertebra_figures` turns a found :class:`imaging.vertebra_model.VertebraAnatomy` into plain JSON
values (kept in the case with the vertebra's body layer, so they come back with a saved case without
searching again); :func:`figure_lines` writes them as lines of text with a unit on every figure: body
volume mL and height mm, canal area mm², the posterior wall (intact, or each defect with where it lies
(LPS mm) and its size), each pedicle's narrowest width mm and its axis angles, and the endplates. A
pedicle not traced says so, with what the anatomy search noted about it.

Warnings come first (:func:`anatomy_warnings`, also for the status bar and the command line): a body
cut by the edge of the scan (its height and volume partial, the end plate there not seen) and metal
found near the vertebra (the figures near it may be wrong). :func:`wall_uncertainty` says why the
posterior wall's reading (intact, its defects) is uncertain, from what the search knows: a noisy image,
metal next to the body or canal, a wall too little seen to judge, a cortex the scan does not resolve, a
body cut by the scan's edge (the command line's ``posterior_wall.uncertain`` and ``uncertain_reason``; in
the dock, lines under the wall's).

An endplate found gives its centre (LPS mm) and its tilt from the patient's axial plane (degrees; the
plane's normal against the LPS superior axis, :mod:`imaging.endplate_plane`), split into its sagittal
part (positive: rising anteriorly) and its coronal part (positive: rising to the patient's left).

Pedicle axis angles are those of a needle along the axis from its entry to its target, as the planning
code defines them (:mod:`planning.trajectory_geometry`): craniocaudal = angle from the axial plane,
positive cranially; mediolateral = angle from the sagittal plane, positive towards the patient's left.
Positions LPS mm.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from imaging.vertebra_model import Side, VertebraAnatomy, WallDefect
from imaging.wall_gaps import UNRESOLVED_NOTE
from planning.endplate_words import endplate_text, tilt_is_uncertain
from planning.trajectory_geometry import craniocaudal_deg, mediolateral_deg

#: the label of a basivertebral foramen's line (the anatomy search's descriptions start with it too)
FORAMEN = "basivertebral foramen (normal)"
#: how a foramen's line in :func:`figure_lines` starts: normal anatomy, said apart from the wall's defects
FORAMEN_LINE = "normal, not a defect: basivertebral foramen"
#: the scan's end on each of the body's ends (superior = the top of the scan, whatever its slice order)
SCAN_END = {"superior": "top", "inferior": "bottom"}
#: what a pedicle not traced says when the anatomy search noted nothing more about it
NO_REASON = "the search found no pedicle of bone on this side"
#: a pedicle axis whose mediolateral angle reads 0.0 deg (one decimal) is said to be parallel to the
#: sagittal plane rather than converging or diverging (degrees)
PARALLEL_DEG = 0.05
#: the structures whose metal streaks reach the posterior wall (it is the back of the body, beside the canal)
WALL_NEIGHBOURS = ("vertebral body", "spinal canal")


def vertebra_figures(anatomy: VertebraAnatomy) -> dict[str, Any]:
    """The figures of a vertebra as JSON values (mm, mL, mm², degrees, LPS mm).

    Keys: ``body_volume_ml`` (unrounded since session 30, 0.01 mL in figures saved before),
    ``body_height_mm``, ``canal_area_mm2``, ``posterior_wall_intact``,
    ``wall_defects`` and ``basivertebral_foramina`` (each ``center_lps``, ``size_mm``,
    ``description``), ``pedicles`` (``left`` / ``right``: ``traced``; traced: ``min_width_mm``,
    ``min_width_uncertainty_mm`` (+- mm, :func:`imaging.vertebra_pedicles.width_uncertainty`),
    ``craniocaudal_deg``, ``craniocaudal_uncertainty_deg`` (+- degrees, :mod:`imaging.pedicle_tilt`; these
    three unrounded since session 29, so that a readout rounds them once; 0.01 in figures saved before),
    ``mediolateral_deg``, ``axis_entry_lps``, ``axis_target_lps`` and ``isthmus_lps`` (LPS mm, 0.01 mm; absent
    from figures saved before session 28); not traced: ``reason``), ``endplates``
    (``superior`` / ``inferior``: ``found`` and, when found, ``voxels`` and the plane's figures of
    :meth:`imaging.endplate_plane.EndplatePlane.to_json`; when not found because the scan's edge cuts the
    body there, ``cut_by_scan``: true), ``body_cut_by_scan`` (the body's ends the scan's edge cuts,
    ``"top"`` / ``"bottom"``), ``metal`` (:meth:`imaging.vertebra_metal.MetalFinding.to_json` or None),
    ``warnings`` (:func:`anatomy_warnings`) and ``notes``.
    """
    pedicles: dict[str, Any] = {}
    for side in (Side.LEFT, Side.RIGHT):
        axis = anatomy.pedicles.get(side)
        if axis is None:
            reason = _untraced_reason(side, anatomy.notes)
            if anatomy.metal is not None and anatomy.metal.side == side.value and "metal" not in reason:
                reason += "; metal lies on this side (see the warning), which may have hidden it"
            pedicles[side.value] = {"traced": False, "reason": reason}
            continue
        direction = np.subtract(axis.axis_target_lps, axis.axis_entry_lps)
        pedicles[side.value] = {
            "traced": True,
            # the width and the uncertainties unrounded: every readout rounds them once, to 0.1 (kept to
            # 0.01 before session 29, a width of 7.1498 mm was kept 7.15 and said 7.2 mm: QA s29 F2)
            "min_width_mm": float(axis.min_width_mm),
            "min_width_uncertainty_mm": None
            if axis.min_width_uncertainty_mm is None
            else float(axis.min_width_uncertainty_mm),
            "craniocaudal_deg": round(craniocaudal_deg(direction), 1),
            "craniocaudal_uncertainty_deg": None
            if axis.craniocaudal_uncertainty_deg is None
            else float(axis.craniocaudal_uncertainty_deg),
            "mediolateral_deg": round(mediolateral_deg(direction), 1),
            # where the axis and its isthmus lie, so the views draw them again for a reopened case
            "axis_entry_lps": _rounded_point(axis.axis_entry_lps),
            "axis_target_lps": _rounded_point(axis.axis_target_lps),
            "isthmus_lps": _rounded_point(axis.isthmus_lps),
        }
    endplates: dict[str, Any] = {}
    for name, mask in (("superior", anatomy.superior_endplate), ("inferior", anatomy.inferior_endplate)):
        if mask is None or not mask.any():
            endplates[name] = {"found": False}
            if name in anatomy.body_cut_by_view:
                endplates[name]["cut_by_scan"] = True
        else:
            endplates[name] = {"found": True, "voxels": mask.count()}
            plane = anatomy.endplate_planes.get(name)
            if plane is not None:
                endplates[name].update(plane.to_json())
                endplates[name]["tilt_uncertain"] = tilt_is_uncertain(endplates[name])
            elif name in anatomy.endplate_tilt_not_measured:
                endplates[name]["tilt_not_measured"] = anatomy.endplate_tilt_not_measured[name]
    return {
        # unrounded, as the widths: said to 0.1 mL by figure_lines, kept to 0.01 first it said 20.849 mL as
        # 20.9 (20.85) where the status bar said 20.8 (QA s29 F2 / G)
        "body_volume_ml": float(anatomy.body_volume_ml),
        "body_height_mm": round(anatomy.body_height_mm, 1),
        "canal_area_mm2": round(anatomy.canal_area_mm2, 0),
        "posterior_wall_intact": anatomy.posterior_wall_intact,
        "posterior_wall_assessed": anatomy.posterior_wall_assessed,
        "posterior_wall_smallest_gap_mm": anatomy.posterior_wall_smallest_gap_mm,
        "wall_defects": [_gap(d) for d in anatomy.posterior_wall_defects],
        "basivertebral_foramina": [_gap(d) for d in anatomy.basivertebral_foramina],
        "pedicles": pedicles,
        "endplates": endplates,
        "body_cut_by_scan": [SCAN_END[end] for end in anatomy.body_cut_by_view],
        "metal": None if anatomy.metal is None else anatomy.metal.to_json(),
        "posterior_wall_uncertain": wall_uncertainty(anatomy),
        "warnings": anatomy_warnings(anatomy),
        "notes": list(anatomy.notes),
    }


def anatomy_warnings(anatomy: VertebraAnatomy) -> list[str]:
    """What the operator must know before trusting the figures, in plain sentences: the body cut by the
    scan's edge, metal near the vertebra, a noisy image."""
    out = [
        f"body cut by the {SCAN_END[end]} of the scan: height and volume are partial, "
        f"{end} end plate not seen"
        for end in anatomy.body_cut_by_view
    ]
    if anatomy.metal is not None:
        out.append(anatomy.metal.message())
    if anatomy.noise_warning is not None:
        out.append(anatomy.noise_warning)
    return out


def wall_uncertainty(anatomy: VertebraAnatomy) -> list[str]:
    """Why the posterior wall's reading (intact or not, and its defects) is uncertain, in plain words, from
    what the anatomy search knows; [] when nothing known makes it so."""
    out: list[str] = []
    if anatomy.noise_warning is not None:
        out.append("the image is noisy: noise reads as gaps in the wall and can hide a thin break")
    if anatomy.metal is not None:
        close = [name for name in WALL_NEIGHBOURS if name in anatomy.metal.near]
        if close:
            out.append(
                f"metal lies next to the {' and '.join(close)}: its streaks change the wall's CT numbers"
            )
    if not anatomy.posterior_wall_assessed:
        out.append("too little of the wall was seen to judge it")
    unresolved = sum(1 for n in anatomy.notes if n.startswith(UNRESOLVED_NOTE))
    if unresolved:
        out.append(
            f"the scan does not resolve the cortex in {unresolved} place(s) of the wall (see the notes): "
            "a thin break cannot be excluded there"
        )
    if anatomy.body_cut_by_view:
        out.append("the edge of the scan cuts the body: the wall is seen over part of its height only")
    return out


def figures_text(anatomy: VertebraAnatomy) -> str:
    """:func:`vertebra_figures` as one JSON string (as a layer's ``extra`` keeps it)."""
    return json.dumps(vertebra_figures(anatomy), separators=(",", ":"))


def intact_words(smallest_gap_mm: float | None) -> str:
    """ "intact" with what it means on this scan: no gap of ``smallest_gap_mm`` or more found (QA s25 E3: a
    4 mm hole read "intact" with no limit said). None (figures saved before the limit was kept): "intact"."""
    if smallest_gap_mm is None:
        return "intact"
    return (
        f"intact (no gap of {smallest_gap_mm:g} mm or more found on this scan; a smaller one can be missed)"
    )


def width_words(min_width_mm: float, uncertainty_mm: float | None) -> str:
    """A pedicle's narrowest width with how well this scan shows it (QA s25 E2: on 3 mm voxels clicks 3 mm
    apart read the same pedicle 8.1 and 12.1 mm), e.g. "narrowest 11.0 mm (+-1.5 mm on this scan)"; None
    (figures saved before the uncertainty was kept): the width alone."""
    return f"narrowest {width_said(min_width_mm, uncertainty_mm)}"


def width_said(width_mm: float, uncertainty_mm: float | None) -> str:
    """A pedicle width as every readout says it: "11.0 mm (+-1.5 mm on this scan)", or "11.0 mm" when its
    uncertainty is not known (the dock's needle readout, the plan, :mod:`planning.pedicle_fit`)."""
    if uncertainty_mm is None:
        return f"{width_mm:.1f} mm"
    return f"{width_mm:.1f} mm (±{width_uncertainty_said(uncertainty_mm):.1f} mm on this scan)"


def tilt_words(craniocaudal_deg: float, uncertainty_deg: float | None) -> str:
    """A pedicle axis's craniocaudal angle with how well this scan shows it (on 3 mm slices clicks 3 mm
    apart read L1's axis -5.3 and +22.5 degrees: :mod:`imaging.pedicle_tilt`), e.g. "+12.0 deg (+-9.5 deg on
    this scan)", the figure rounded up to 0.1 degree; None (figures saved before it was kept): the angle
    alone."""
    if uncertainty_deg is None:
        return f"{craniocaudal_deg:+.1f} deg"
    return f"{craniocaudal_deg:+.1f} deg (±{_tenth_up(uncertainty_deg):.1f} deg on this scan)"


def width_uncertainty_said(uncertainty_mm: float) -> float:
    """A width's uncertainty as said (to 0.1 mm), rounded up so that the range said is never narrower than
    the one measured (the dock, the command line and the needle's readouts say the same figure)."""
    return _tenth_up(uncertainty_mm)


def _tenth_up(value: float) -> float:
    """``value`` rounded up to 0.1: an uncertainty said is never narrower than the one measured."""
    return math.ceil(value * 10.0 - 1e-6) / 10.0


def figure_lines(figures: Mapping[str, Any]) -> list[str]:
    """The figures as lines of text, a unit on every figure (see :func:`vertebra_figures`)."""
    lines = [f"warning: {w}" for w in figures.get("warnings", [])]
    lines += [
        f"body: {figures['body_volume_ml']:.1f} mL, height {figures['body_height_mm']:.1f} mm",
        f"canal: {figures['canal_area_mm2']:.0f} mm²",
    ]
    defects = figures.get("wall_defects", [])
    if figures.get("posterior_wall_intact") and not defects:
        lines.append(f"posterior wall: {intact_words(figures.get('posterior_wall_smallest_gap_mm'))}")
    elif not figures.get("posterior_wall_assessed", True):
        # not seen is not broken (figures saved before this key: assessed)
        lines.append("posterior wall: not assessed")
    else:
        lines.append(f"posterior wall: {len(defects)} defect(s)" if defects else "posterior wall: not intact")
    # why that reading is uncertain (as the command line's posterior_wall.uncertain_reason)
    lines += [f"  uncertain: {why}" for why in figures.get("posterior_wall_uncertain", [])]
    lines += [f"  defect: {_gap_text(d, 'defect')}" for d in defects]
    lines += [_foramen_line(d) for d in figures.get("basivertebral_foramina", [])]
    for side in ("left", "right"):
        p = figures.get("pedicles", {}).get(side)
        if p is None:
            continue
        if not p.get("traced"):
            lines.append(f"{side} pedicle: not traced - {p.get('reason') or NO_REASON}")
            continue
        lines.append(
            f"{side} pedicle: {width_words(p['min_width_mm'], p.get('min_width_uncertainty_mm'))}, "
            f"axis craniocaudal {tilt_words(p['craniocaudal_deg'], p.get('craniocaudal_uncertainty_deg'))}, "
            f"mediolateral {p['mediolateral_deg']:+.1f} deg "
            f"({_axis_course(side, p['mediolateral_deg'])}; entry to target, "
            "+ cranial / to the patient's left)"
        )
    for name in ("superior", "inferior"):
        e = figures.get("endplates", {}).get(name)
        if e is None:
            continue
        lines.append(f"{name} endplate: {endplate_text(e)}")
    lines += [f"note: {n}" for n in figures.get("notes", [])]
    return lines


def _rounded_point(point: tuple[float, float, float]) -> list[float]:
    """An LPS point as the figures keep it: to 0.01 mm (the anatomy's own JSON rounding)."""
    return [round(float(v), 2) for v in point]


def _axis_course(side: str, mediolateral_deg: float) -> str:
    """Which way a pedicle's axis runs from entry to target: towards the midline or away from it.

    The mediolateral angle is signed towards the patient's left (:func:`mediolateral_deg`), so the same
    sign means "towards the midline" on the right pedicle and "away from it" on the left one; said in words
    so that a diverging axis cannot pass for a converging one.
    """
    if round(abs(mediolateral_deg), 1) < PARALLEL_DEG:
        return "parallel to the sagittal plane"
    towards_left = mediolateral_deg > 0
    medial = towards_left == (side == "right")
    return "converging: runs medially" if medial else "diverging: runs laterally"


def _untraced_reason(side: Side, notes: tuple[str, ...]) -> str:
    """What the anatomy notes say about a pedicle not traced (beyond "not traced"), else :data:`NO_REASON`."""
    bare = f"{side.value} pedicle not traced"
    said = [n for n in notes if f"{side.value} pedicle" in n and n.strip() != bare]
    reasons = [n.replace(bare, "").replace(f"{side.value} pedicle", "", 1).strip(" :;,-") for n in said]
    return "; ".join(r for r in reasons if r) or NO_REASON


def _gap(d: WallDefect) -> dict[str, Any]:
    return {
        "center_lps": [round(v, 1) for v in d.center_lps],
        "size_mm": round(d.size_mm, 1),
        "description": d.description,
    }


def _foramen_line(d: Mapping[str, Any]) -> str:
    """A basivertebral foramen's line: normal anatomy, so it starts unlike a defect's ("  defect: ...") and
    names the foramen once. The anatomy search writes "basivertebral foramen (normal)" or "basivertebral
    foramen (normal; <a remark>)" first (imaging.vertebra_wall); the remark goes to the line's end
    (QA session 21 F5: the name was said twice in one line, in the same form as a defect)."""
    text = str(d["description"])
    remark = ""
    bare = FORAMEN.removesuffix(")")  # "basivertebral foramen (normal"
    if text.startswith(bare + ";"):
        remark, _, rest = text[len(bare) + 1 :].partition(")")
        text = FORAMEN + rest
    line = f"  {FORAMEN_LINE}: {_gap_text({**d, 'description': text}, FORAMEN)}"
    return f"{line}; {remark.strip()}" if remark.strip() else line


def _gap_text(d: Mapping[str, Any], label: str) -> str:
    """A wall gap's size, place and description, the description without the line's own label (the
    anatomy search starts it with "basivertebral foramen (normal)"), areas in mm², no signed zero."""
    c = d["center_lps"]
    text = str(d["description"])
    if text.startswith(label):
        text = text[len(label) :].lstrip(" ,;")
    text = re.sub(r"[-+]0 mm\b", "0 mm", text.replace("mm^2", "mm²"))
    where = f"{d['size_mm']:.1f} mm at ({c[0]:.1f}, {c[1]:.1f}, {c[2]:.1f}) mm LPS"
    return f"{where} - {text}" if text else where
