"""The anatomy of one vertebra found from a click in its body (values only, no algorithm).

Positions in LPS mm; areas mm^2; volumes mL. Masks lie on the source volume's grid. ``left`` and
``right`` are the patient's left and right (LPS +x is the patient's left).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from imaging.mask import Mask

if TYPE_CHECKING:  # the foramina module builds on this one
    from imaging.endplate_plane import EndplatePlane
    from imaging.vertebra_foramina import VertebraForamina
    from imaging.vertebra_metal import MetalFinding

Point = tuple[float, float, float]


class Side(StrEnum):
    """Patient side."""

    LEFT = "left"
    RIGHT = "right"


@dataclass(frozen=True)
class PedicleAxis:
    """A pedicle's axis and its narrowest width.

    ``axis_entry_lps`` lies on the posterior surface of the pedicle/lamina junction (where a
    transpedicular needle enters bone); ``axis_target_lps`` lies in the anterior-middle third of the
    vertebral body on the same line. ``min_width_mm`` is the narrowest bony width across the axis.
    ``isthmus_lps`` is where that narrowest width occurs. ``min_width_uncertainty_mm`` is how well that
    width is known on this scan, +- mm (:func:`imaging.vertebra_pedicles.width_uncertainty`; None: not
    known, a result made before it was said). ``craniocaudal_uncertainty_deg`` is how well the axis's
    craniocaudal angle is known on this scan, +- degrees (:mod:`imaging.pedicle_tilt`; None: not known).
    """

    side: Side
    axis_entry_lps: Point
    axis_target_lps: Point
    min_width_mm: float
    isthmus_lps: Point
    mask: Mask | None = None
    min_width_uncertainty_mm: float | None = None
    craniocaudal_uncertainty_deg: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "axis_entry_lps": [round(v, 2) for v in self.axis_entry_lps],
            "axis_target_lps": [round(v, 2) for v in self.axis_target_lps],
            "min_width_mm": round(self.min_width_mm, 2),
            # beside DESIGN.md's min_width_mm: how well it is known on this scan, +- mm
            "min_width_uncertainty_mm": None
            if self.min_width_uncertainty_mm is None
            else round(self.min_width_uncertainty_mm, 2),
            "isthmus_lps": [round(v, 2) for v in self.isthmus_lps],
            # how well the axis's craniocaudal angle is known on this scan, +- degrees
            "craniocaudal_uncertainty_deg": None
            if self.craniocaudal_uncertainty_deg is None
            else round(self.craniocaudal_uncertainty_deg, 2),
        }


@dataclass(frozen=True)
class WallDefect:
    """A gap in the posterior vertebral wall (or another cortex) with its place and size."""

    center_lps: Point
    size_mm: float
    description: str

    def to_json(self) -> dict[str, Any]:
        return {
            "center_lps": [round(v, 2) for v in self.center_lps],
            "size_mm": round(self.size_mm, 2),
            "description": self.description,
        }


@dataclass(frozen=True, eq=False)
class VertebraAnatomy:
    """Body, canal, posterior wall, pedicles and endplates of one vertebra.

    ``posterior_wall`` is the band of cortex between the body and the canal;
    ``posterior_wall_points_lps`` samples it (ordered left to right, then caudal to cranial).
    ``basivertebral_foramina`` lists the gaps of the wall judged to be the normal basivertebral
    foramen (or two of them), with their place and size: a leakage-risk site, not a defect, so they
    leave ``posterior_wall_intact`` true. ``endplates`` holds the superior and inferior endplate masks
    when found. ``foramina`` holds the
    neural foramina when they were looked for (:func:`imaging.vertebra_foramina.with_foramina`, a
    separate step), None otherwise. ``canal`` is the canal where bone encloses it (the pedicles'
    level), which the anatomy's own steps use; ``canal_tube`` carries it through the body's height and
    past its endplates (:mod:`imaging.canal_tube`) for the distances of heat and needles to the canal
    (:attr:`safety_canal`), None when not built; ``canal_tube_z_lps`` the lowest and highest LPS z
    (mm) it reaches.
    """

    body: Mask
    canal: Mask
    posterior_wall: Mask
    body_volume_ml: float
    body_centroid_lps: Point
    body_height_mm: float
    canal_centroid_lps: Point
    canal_area_mm2: float
    posterior_wall_points_lps: tuple[Point, ...]
    posterior_wall_intact: bool
    posterior_wall_defects: tuple[WallDefect, ...]
    pedicles: dict[Side, PedicleAxis]
    superior_endplate: Mask | None = None
    inferior_endplate: Mask | None = None
    level: str | None = None
    click_lps: Point = (0.0, 0.0, 0.0)
    notes: tuple[str, ...] = field(default=())
    foramina: VertebraForamina | None = None
    basivertebral_foramina: tuple[WallDefect, ...] = ()
    canal_tube: Mask | None = None
    canal_tube_z_lps: tuple[float, float] | None = None
    #: the body's ends cut by the edge of the scan ("superior", "inferior"): height and volume partial
    body_cut_by_view: tuple[str, ...] = ()
    #: the endplates' planes (centre, tilt), by "superior" / "inferior", for those found
    endplate_planes: dict[str, EndplatePlane] = field(default_factory=dict)
    #: why an end plate found as a layer has no plane: its tilt is not measured (by "superior" / "inferior",
    #: imaging.endplate_fit.TiltNotMeasured)
    endplate_tilt_not_measured: dict[str, str] = field(default_factory=dict)
    #: metal found in the search region (:func:`imaging.vertebra_metal.find_metal`), None when none
    metal: MetalFinding | None = None
    #: the noisy-image warning (:func:`imaging.image_noise.noise_note`), None when the noise is usual
    noise_warning: str | None = None
    #: False when too little of the posterior wall was seen to judge it (a body cut by the scan, say):
    #: ``posterior_wall_intact`` is then False without the wall being known to be broken
    posterior_wall_assessed: bool = True
    #: the smallest round gap of the wall sure to be reported on this scan (mm across,
    #: :func:`imaging.wall_gaps.smallest_sure_gap_mm`): "intact" means no gap that large or larger;
    #: a smaller one can be missed. None when the wall was not assessed
    posterior_wall_smallest_gap_mm: float | None = None

    @property
    def safety_canal(self) -> Mask:
        """The canal heat and needle distances are measured against: ``canal`` together with
        ``canal_tube`` (the canal carried through the body's height) when that is known."""
        if self.canal_tube is None or not self.canal_tube.any():
            return self.canal
        return Mask.union([self.canal, self.canal_tube], self.canal.grid_shape)

    def to_json(self) -> dict[str, Any]:
        """The command line's ``anatomy`` JSON (DESIGN.md keys)."""
        return {
            "vertebral_body": {
                "volume_ml": round(self.body_volume_ml, 3),
                "centroid_lps": [round(v, 2) for v in self.body_centroid_lps],
                "height_mm": round(self.body_height_mm, 2),
            },
            "spinal_canal": {
                "centroid_lps": [round(v, 2) for v in self.canal_centroid_lps],
                "area_mm2": round(self.canal_area_mm2, 1),
                # how far along z the canal that heat and needle distances are measured against reaches
                "whole_height_z_lps": None
                if self.canal_tube_z_lps is None
                else [round(v, 2) for v in self.canal_tube_z_lps],
            },
            "posterior_wall": {
                "points_lps": [[round(v, 2) for v in p] for p in self.posterior_wall_points_lps],
                "intact": self.posterior_wall_intact,
                # beside DESIGN.md's "intact": false there may only mean the wall was not seen
                "assessed": self.posterior_wall_assessed,
                # what "intact" means: no gap this wide (mm) or wider found; a smaller one can be missed
                "smallest_gap_mm": self.posterior_wall_smallest_gap_mm,
                "defects": [d.to_json() for d in self.posterior_wall_defects],
                "basivertebral_foramina": [d.to_json() for d in self.basivertebral_foramina],
            },
            "pedicles": {side.value: axis.to_json() for side, axis in self.pedicles.items()},
            "level": self.level,
            "notes": list(self.notes),
        }
