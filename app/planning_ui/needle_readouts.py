"""The Needles dock's readouts of the selected needle, recomputed from the Case so they follow a drag live.

Length; tip depth below the skin against the needle's length (and how much of the needle lies outside the
scanned image, where neither the skin nor what it crosses can be seen); craniocaudal and mediolateral
angles (conventions of planning.trajectory; a needle entering on one side reads medial or lateral from it);
narrowest pedicle width against the needle's outer diameter and the case's pedicle safety margin
(``PlanSettings.pedicle_safety_margin_mm``); pedicle clearance (amber under half that margin; without a
figure, why: red when the needle's axis misses the pedicle at its isthmus); smallest distance from the
needle surface to the canal (red when the needle enters it or breaches the pedicle's medial wall);
forbidden structures crossed; the metrics' warnings (among them an antenna tip beyond the vertebral body's
cortex), led by a note when the needle's pedicle was not traced. Units mm, degrees; positions LPS mm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QWidget

from app.planning_ui.needle_proposals import PEDICLE_TRACED_KEY, PROPOSAL_NOTE_KEY
from app.theme import AMBER, OK, RED
from planning.model import NEEDLE_OUTER_DIAMETER_MM, Trajectory
from planning.pedicle_clearance import BreachSide
from planning.pedicle_fit import fit_warning
from planning.proposals import approach_family, approach_side
from planning.trajectory import TrajectoryMetrics, outside_image_warning
from planning.trajectory_geometry import medial_or_lateral
from planning.vertebra_figures import width_said

if TYPE_CHECKING:
    from app.planning_ui.controller import PlanningController

UNTRACED_NOTE = (
    "{side} pedicle not traced: this {approach} route was built from the body and the canal alone; "
    "check the pedicle, rib head, pleura, nerve root and segmental vessels on the images"
)


#: where a needle's axis passes a pedicle it misses at the isthmus, by the wall it passes beyond
MISSED_BEYOND = {
    BreachSide.MEDIAL: "medial to it, towards the spinal canal",
    BreachSide.LATERAL: "lateral to it",
    BreachSide.SUPERIOR: "above it",
    BreachSide.INFERIOR: "below it, towards the nerve root in the foramen",
}


def clearance_caution_mm(safety_margin_mm: float) -> float:
    """Pedicle clearance (mm) under which the readout is amber: half the case's pedicle safety margin
    (``PlanSettings.pedicle_safety_margin_mm``), the room a centred needle keeps on each side of a
    pedicle just wide enough to be proposed."""
    return safety_margin_mm / 2.0


class NeedleReadoutsBox(QGroupBox):
    """The "Readouts" group: one selectable label per readout (``readouts[key]``) and the warnings."""

    def __init__(self, controller: PlanningController, parent: QWidget | None = None) -> None:
        super().__init__("Readouts", parent)
        self.controller = controller
        form = QFormLayout(self)
        self.readouts: dict[str, QLabel] = {}
        for key, label in (
            ("length", "Length"),
            ("depth", "Skin to tip"),
            ("cc", "Craniocaudal"),
            ("ml", "Mediolateral"),
            ("pedicle", "Pedicle width"),
            ("clearance", "Pedicle clearance"),
            ("canal", "To canal"),
            ("crossed", "Crosses"),
        ):
            lab = QLabel("–")
            lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            # the length outside the image lengthens these two, and a missed pedicle's reason the clearance:
            # wrapped, not cut at the dock's edge
            lab.setWordWrap(key in ("depth", "crossed", "clearance"))
            form.addRow(label, lab)
            self.readouts[key] = lab
        self.warnings = QLabel("")
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet(AMBER)
        form.addRow(self.warnings)

    def show_readouts(self, traj: Trajectory | None) -> None:
        """Show the readouts of ``traj`` ("–" everywhere when None or when it has no metrics)."""
        for lab in self.readouts.values():
            lab.setText("–")
            lab.setStyleSheet("")
        self.warnings.setText("")
        if traj is None:
            return
        m = self.controller.metrics(traj)
        if m is None:
            return
        r = self.readouts
        od = NEEDLE_OUTER_DIAMETER_MM[traj.needle_gauge]
        # the case's margin (the Needles dock's "Pedicle: needle +" setting), as the proposals use it
        safety_mm = self.controller.case.settings.pedicle_safety_margin_mm
        r["length"].setText(f"{m.length_mm:.1f} mm")
        lower = "" if m.skin_found else " (≥, skin not found)"
        depth = f"{m.skin_depth_mm:.1f} mm{lower} / needle {traj.needle_length_mm:.0f} mm"
        # a needle partly outside the scanned image: the depth and the crossings count only what the image
        # shows (QA s30 D: an entry clicked 12 mm beyond the CT's last row read as if the image were there)
        outside = outside_image_warning(m.outside_image_mm) is not None
        if outside:
            depth += f" ({m.outside_image_mm:.1f} mm outside the image)"
        r["depth"].setText(depth)
        deeper = m.skin_depth_mm > traj.needle_length_mm
        r["depth"].setStyleSheet(RED if deeper else (AMBER if outside else ""))
        r["cc"].setText(_angle_said(m.craniocaudal_deg, "cranial", "caudal", "in the axial plane"))
        r["ml"].setText(_mediolateral_said(m.mediolateral_deg, approach_side(traj.approach)))
        width = self.controller.pedicle_width_mm(traj)
        untraced = traj.extra.get(PEDICLE_TRACED_KEY) is False
        fit: str | None = None
        if width is not None:
            unsure = self.controller.pedicle_width_uncertainty_mm(traj)
            r["pedicle"].setText(f"{width_said(width, unsure)} vs needle {od:.2f} mm")
            # red under the needle, amber under the needle plus the case's safety margin (CLINICAL.md
            # "Needles and pedicles": a needle wider than the pedicle calls for another route) and when
            # the low end of the width's range is (QA s25 E2: on 3 mm slices one pedicle read 8.1-12.1
            # mm); the words are the plan's (planning.pedicle_fit)
            fit = fit_warning(width, unsure, od, safety_mm)
            r["pedicle"].setStyleSheet(RED if width < od else (AMBER if fit is not None else OK))
        elif untraced:
            r["pedicle"].setText("not traced: check it on the images")
            r["pedicle"].setStyleSheet(AMBER)
        elif self.controller.anatomy_pending(traj.target):
            r["pedicle"].setText("finding the vertebra…")
        else:
            r["pedicle"].setText("not known (propose from the vertebra)")
        breach = m.pedicle_breach_side
        if m.pedicle_clearance_mm is not None:
            wall = "" if breach is None else f" ({breach.value} wall)"
            r["clearance"].setText(f"{m.pedicle_clearance_mm:.1f} mm{wall}")
            clearance = m.pedicle_clearance_mm
            tight = clearance < clearance_caution_mm(safety_mm)
            r["clearance"].setStyleSheet(RED if clearance < 0 else (AMBER if tight else OK))
        else:
            # why there is no figure (QA s32 B: a tip dragged into the canal read "–" beside ENTERS THE CANAL)
            r["clearance"].setText(self._no_clearance_reason(traj, m, width is not None, untraced))
            r["clearance"].setStyleSheet(RED if m.pedicle_missed else "")
        if m.canal_distance_mm is not None:
            medial = breach is BreachSide.MEDIAL
            text = f"{m.canal_distance_mm:.1f} mm"
            if m.canal_distance_mm < 0:
                text += " — ENTERS THE CANAL"
            elif medial:
                text += " — MEDIAL WALL BREACH"
            r["canal"].setText(text)
            r["canal"].setStyleSheet(
                RED if (m.canal_distance_mm < 0 or medial) else (AMBER if m.canal_distance_mm < 2 else OK)
            )
        else:
            r["canal"].setText("no canal layer")
        crossed = ", ".join(m.crossed) if m.crossed else "none"
        if outside:
            crossed += f" in the image ({m.outside_image_mm:.1f} mm outside it not seen)"
        r["crossed"].setText(crossed)
        r["crossed"].setStyleSheet(RED if m.crossed else (AMBER if outside else ""))
        warnings = list(m.warnings)
        if untraced:
            side = traj.approach.value.rsplit("-", 1)[-1]
            warnings.insert(0, UNTRACED_NOTE.format(side=side.capitalize(), approach=traj.approach.value))
        if fit is not None and approach_family(traj.approach) == "transpedicular":
            warnings.append(fit)  # a route beside the pedicle shows its width, but does not go through it
        lines = [f"⚠ {w}" for w in warnings]
        proposed = traj.extra.get(PROPOSAL_NOTE_KEY)
        if isinstance(proposed, str) and proposed:
            lines.append(f"When proposed: {proposed}")
        self.warnings.setText("\n".join(lines))

    def _no_clearance_reason(
        self, traj: Trajectory, m: TrajectoryMetrics, known: bool, untraced: bool
    ) -> str:
        """The Pedicle clearance readout when there is no figure: why (the needle's axis misses the pedicle
        at its isthmus, beyond which wall; a route not through a pedicle; a pedicle not known)."""
        if m.pedicle_missed:
            beyond = (
                "" if m.pedicle_miss_side is None else f": it passes {MISSED_BEYOND[m.pedicle_miss_side]}"
            )
            return f"none: the needle misses the pedicle at its isthmus{beyond}"
        if approach_family(traj.approach) != "transpedicular":
            return "not measured: this route does not go through a pedicle"
        if untraced:
            return "not measured: the pedicle was not traced"
        if not known and self.controller.anatomy_pending(traj.target):
            return "finding the vertebra…"
        return "not measured: the pedicle is not known"


def _mediolateral_said(angle_deg: float, side: str | None) -> str:
    """The mediolateral angle as a radiologist reads it: for a needle entering on one side, medial or
    lateral from that side with the patient's side it heads for ("15.4° medial (towards the patient's
    right)" for a left transpedicular needle converging; QA s32 B: "−15.4° (towards right)" did not say
    it converges); for one without a side (direct), signed towards the patient's left or right. The
    command line keeps the signed angle (docs/cli-json.md ``mediolateral_deg``)."""
    said = medial_or_lateral(angle_deg, side)
    if said is None:
        return _angle_said(angle_deg, "towards left", "towards right", "parallel to the sagittal plane")
    heads = "left" if angle_deg > 0 else "right"
    return f"{abs(angle_deg):.1f}° {said} (towards the patient's {heads})"


def _angle_said(angle_deg: float, positive: str, negative: str, level: str) -> str:
    """An angle to 0.1° with its direction; one that reads 0.0 has none ("+0.0° (cranial)" said a
    direction the figure does not have, and "-0.0° (caudal)" the other one for the same figure; QA s30 D)."""
    if f"{abs(angle_deg):.1f}" == "0.0":
        return f"0.0° ({level})"
    return f"{angle_deg:+.1f}° ({positive if angle_deg > 0 else negative})"
