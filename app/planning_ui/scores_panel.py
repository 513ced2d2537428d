"""The Scores dock: the score that fits the selected target's bone, item by item.

SINS for a vertebra; for other bone the operator states the bone (a "Bone" combo, kept in the
target's ``extra``, one undo step) and the score follows :mod:`planning.score_site`: Mirels for a long
bone, Harrington's periacetabular class for the acetabulum, none for a rib or other bone (CLINICAL.md
gives none); a bone not stated is offered Mirels, saying so and naming the other choices.

Items readable from the images are pre-filled (SINS location from the level, bone lesion from the
lesion type; Mirels nature from the lesion type) and marked "pre-filled from the images". A lesion drawn
by hand has no type of its own until the operator chooses one: the type measured from its mask (in the
Lesions dock, :mod:`app.segmentation.lesion_figures`) pre-fills them, unless most of the mask looks like
the bone around it. The operator
chooses the others in combo boxes, each choice pushed as ``SetScoreItems`` (undoable). A choice
replaces a pre-filled value. Total, range while items are missing, and meaning are shown (tables of
CLINICAL.md via planning.scores).
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from app.wording import count_of
from imaging.lesion_model import LesionType
from planning import scores as sc
from planning.commands import SetScoreItems, UpdateTarget
from planning.errors import PlanningError
from planning.model import ScoreItems, ScoreSystem, Target, TargetKind
from planning.score_site import BONE_KEY, SCORE_FOR_BONE, BoneSite, bone_of, score_for

if TYPE_CHECKING:
    from app.planning_ui.controller import PlanningController

UNSET = "—"
SINS_ENUMS: dict[str, type[StrEnum]] = {
    "location": sc.SinsLocation,
    "pain": sc.SinsPain,
    "bone_lesion": sc.SinsBoneLesion,
    "alignment": sc.SinsAlignment,
    "collapse": sc.SinsCollapse,
    "posterolateral": sc.SinsPosterolateral,
}


class MirelsSize(StrEnum):
    """Mirels size item: share of the cortex the lesion destroys."""

    UNDER_THIRD = "< 1/3 cortex"
    THIRD_TO_TWO = "1/3-2/3"
    OVER_TWO = "> 2/3"


MIRELS_ENUMS: dict[str, type[StrEnum]] = {
    "site": sc.MirelsSite,
    "nature": sc.MirelsNature,
    "pain": sc.MirelsPain,
    "size": MirelsSize,
}


class WallState(StrEnum):
    """A Harrington wall item: the wall or cortex intact or deficient."""

    INTACT = "intact"
    DEFICIENT = "deficient"


class Resectable(StrEnum):
    """Harrington class IV item: a solitary lesion resectable for cure."""

    NO = "no"
    YES = "yes"


HARRINGTON_ENUMS: dict[str, type[StrEnum]] = {
    "medial_wall": WallState,
    "lateral_cortex": WallState,
    "superior_wall": WallState,
    "solitary_resectable_for_cure": Resectable,
}
ENUMS_BY_SYSTEM: dict[ScoreSystem, dict[str, type[StrEnum]]] = {
    ScoreSystem.SINS: SINS_ENUMS,
    ScoreSystem.MIRELS: MIRELS_ENUMS,
    ScoreSystem.HARRINGTON: HARRINGTON_ENUMS,
}
SCORE_NAMES = {ScoreSystem.SINS: "SINS", ScoreSystem.MIRELS: "Mirels", ScoreSystem.HARRINGTON: "Harrington"}
#: what the dock says of each bone's score (CLINICAL.md "Scores")
BONE_NOTES = {
    None: "Bone not stated: Mirels is offered (long bones); choose the acetabulum for Harrington, a rib or "
    "other bone for none.",
    BoneSite.LONG_BONE: "Mirels scores long bones (CLINICAL.md).",
    BoneSite.ACETABULUM: "Harrington's periacetabular classes (CLINICAL.md).",
    BoneSite.OTHER: "No score: CLINICAL.md gives none for a rib or other bone (Mirels is for long bones, "
    "Harrington for the acetabulum). Choose another bone to score it.",
}

#: cortical fraction standing for each Mirels size band (its middle)
MIRELS_SIZE_FRACTION = {"< 1/3 cortex": 0.2, "1/3-2/3": 0.5, "> 2/3": 0.8}


class ScoresPanel(QWidget):
    """Score items as combo boxes; total and meaning."""

    def __init__(self, controller: PlanningController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.title = QLabel("–")
        layout.addWidget(self.title)
        bone_row = QFormLayout()
        self.bone = QComboBox()
        self.bone.addItem("not stated", None)
        for site in BoneSite:
            system = SCORE_FOR_BONE[site]
            self.bone.addItem(f"{site.value} ({SCORE_NAMES[system] if system else 'no score'})", site.value)
        self.bone.setToolTip("The bone of this lesion: the score follows it (the images do not say)")
        self.bone_label = QLabel("Bone")
        bone_row.addRow(self.bone_label, self.bone)
        layout.addLayout(bone_row)
        self.bone_note = QLabel("")
        self.bone_note.setWordWrap(True)
        self.bone_note.setStyleSheet("color: #9ecbff; font-size: 9pt;")
        layout.addWidget(self.bone_note)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.total = QLabel("–")
        self.total.setWordWrap(True)
        self.total.setStyleSheet("font-weight: bold;")
        layout.addWidget(self.total)
        self.meaning = QLabel("")
        self.meaning.setWordWrap(True)
        layout.addWidget(self.meaning)
        layout.addStretch(1)
        self.combos: dict[str, QComboBox] = {}
        self.notes: dict[str, QLabel] = {}
        self._system: ScoreSystem | None = None
        self.bone.currentIndexChanged.connect(lambda _i: self._on_bone_changed())
        controller.plan_changed.connect(self.refresh)
        controller.selection_changed.connect(self.refresh)
        segmentation = getattr(controller.window, "segmentation", None)
        if segmentation is not None:  # a drawn lesion's measured type pre-fills once it is measured
            segmentation.figures_measured.connect(self.refresh)
        self.refresh()

    # -- model -> widgets -----------------------------------------------------------------------
    def refresh(self) -> None:
        """Show the selected target's bone, score items and total."""
        target = self.controller.target()
        spinal = target is None or target.kind == TargetKind.SPINE
        self.bone.setVisible(not spinal)
        self.bone_label.setVisible(not spinal)
        self.bone_note.setVisible(not spinal)
        if target is None:
            self._build(None)
            self.title.setText("No target")
            self.total.setText("–")
            self.meaning.setText("")
            return
        bone = bone_of(target)
        with QSignalBlocker(self.bone):
            self.bone.setCurrentIndex(max(0, self.bone.findData(bone.value if bone else None)))
        self.bone_note.setText("" if spinal else BONE_NOTES[bone])
        system = score_for(target)
        self._build(system)
        if system is None:
            self.title.setText(f"{target.name}: no score")
            self.total.setText("–")
            self.meaning.setText("")
            return
        chosen = self._chosen(target, system)
        prefilled = self._prefilled(target, system, self._lesion_type(target))
        self.title.setText(f"{target.name}: {SCORE_NAMES[system]}")
        for name, combo in self.combos.items():
            with QSignalBlocker(combo):
                value = chosen.get(name, prefilled.get(name, (None, ""))[0])
                idx = combo.findData(value) if value is not None else 0
                combo.setCurrentIndex(max(0, idx))
            note = self.notes[name]
            if name in chosen:
                note.setText("chosen")
            elif name in prefilled:
                note.setText("pre-filled from the images")
                note.setToolTip(prefilled[name][1])
            else:
                note.setText("to choose")
        if system == ScoreSystem.SINS:
            self._show_sins(chosen, prefilled)
        elif system == ScoreSystem.MIRELS:
            self._show_mirels(chosen, prefilled, target)
        else:
            self._show_harrington(chosen)

    def _build(self, system: ScoreSystem | None) -> None:
        if system == self._system:
            return
        self._system = system
        while self.form.rowCount():
            self.form.removeRow(0)
        self.combos.clear()
        self.notes.clear()
        enums = ENUMS_BY_SYSTEM[system] if system is not None else {}
        for name, enum in enums.items():
            combo = QComboBox()
            combo.addItem(UNSET, None)
            for member in enum:
                combo.addItem(member.value, member.value)
            combo.currentIndexChanged.connect(lambda _i, n=name: self._on_combo_changed(n))
            note = QLabel("")
            note.setStyleSheet("color: #9ecbff; font-size: 9pt;")
            row = QWidget()
            lay = QVBoxLayout(row)
            lay.setContentsMargins(0, 0, 0, 0)
            lay.setSpacing(0)
            lay.addWidget(combo)
            lay.addWidget(note)
            self.form.addRow(name.replace("_", " ").capitalize(), row)
            self.combos[name] = combo
            self.notes[name] = note

    def _chosen(self, target: Target, system: ScoreSystem) -> dict[str, str]:
        got = self.controller.case.scores.get(target.name)
        if got is None or got.system != system:
            return {}
        return {k: str(v) for k, v in got.items.items()}

    def _lesion_type(self, target: Target) -> tuple[LesionType, str] | None:
        """The target's lesion type and where it comes from: its own (segmentation's or the operator's),
        else the type measured from a drawn lesion's mask when the Lesions dock has measured it."""
        if target.lesion_type is not None:
            return target.lesion_type, f"segmented lesion classed {target.lesion_type.value}"
        segmentation = getattr(self.controller.window, "segmentation", None)
        volume = self.controller.volume
        if segmentation is None or volume is None:
            return None
        figures = segmentation.lesion_figures.cached(volume, self.controller.case, target)
        lesion = None if figures is None else figures.lesion
        if lesion is None or lesion.type_unsure:
            return None
        return lesion.type, (
            f"drawn lesion judged {lesion.type.value} against the bone around it "
            f"({lesion.reference_bone_hu:.0f} HU); choose its type in the Lesions dock to fix it"
        )

    @staticmethod
    def _prefilled(
        target: Target, system: ScoreSystem, lesion_type: tuple[LesionType, str] | None
    ) -> dict[str, tuple[str, str]]:
        out: dict[str, tuple[str, str]] = {}
        if system == ScoreSystem.SINS:
            if target.level:
                with contextlib.suppress(PlanningError, ValueError):
                    out["location"] = (sc.sins_location(target.level).value, f"level {target.level}")
            if lesion_type is not None:
                out["bone_lesion"] = (sc.bone_lesion_from_type(lesion_type[0]).value, lesion_type[1])
        elif system == ScoreSystem.MIRELS and lesion_type is not None:
            out["nature"] = (lesion_type[0].value, lesion_type[1])
        return out

    def _show_sins(self, chosen: dict[str, str], prefilled: dict[str, tuple[str, str]]) -> None:
        items: dict[str, Any] = {}
        for name, (value, basis) in prefilled.items():
            items[name] = sc.sins_item(name, value, sc.ItemSource.PREFILLED, basis)
        for name, value in chosen.items():
            items[name] = sc.sins_item(name, value, sc.ItemSource.CHOSEN)
        result = sc.sins_score(items)
        lo, hi = result.total_range
        if result.complete:
            self.total.setText(
                f"SINS {result.total} / 18: {result.category.value if result.category else ''}"
            )
        else:
            so_far = count_of(result.total, "point")
            self.total.setText(f"SINS {lo}-{hi} once every item is chosen ({so_far} given so far)")
        self.meaning.setText(
            result.note
            + ("\nSurgical consultation recommended (SINS ≥ 7)." if result.surgical_consultation else "")
        )

    def _show_mirels(
        self, chosen: dict[str, str], prefilled: dict[str, tuple[str, str]], target: Target
    ) -> None:
        values = {k: v for k, (v, _b) in prefilled.items()}
        values.update(chosen)
        size = values.get("size")
        result = sc.mirels_score(
            site=values.get("site"),
            cortical_fraction=MIRELS_SIZE_FRACTION.get(size) if size else None,
            nature=values.get("nature"),
            pain=values.get("pain"),
            prefilled=frozenset(k for k in prefilled if k not in chosen),
        )
        lo, hi = result.total_range
        if result.complete:
            self.total.setText(f"Mirels {result.total} / 12: {result.risk.value if result.risk else ''}")
        else:
            so_far = count_of(result.total, "point")
            self.total.setText(f"Mirels {lo}-{hi} once every item is chosen ({so_far} given so far)")
        self.meaning.setText(
            "Mirels: ≤ 7 low risk (0-4 %), 8 borderline (15 %), ≥ 9 prophylactic fixation (> 33 %)."
        )

    def _show_harrington(self, chosen: dict[str, str]) -> None:
        walls = ("medial_wall", "lateral_cortex", "superior_wall")
        missing = [w.replace("_", " ") for w in walls if w not in chosen]
        if missing:
            self.total.setText(f"Harrington: choose the {', '.join(missing)}")
            self.meaning.setText(
                "Harrington: I walls intact; II medial wall deficient; III medial wall, lateral cortex "
                "and superior wall deficient; IV solitary, resectable for cure. I-III can be treated "
                "percutaneously; IV needs surgery."
            )
            return
        resectable = chosen.get("solitary_resectable_for_cure")
        result = sc.harrington_class(
            medial_wall_deficient=chosen["medial_wall"] == WallState.DEFICIENT,
            lateral_cortex_deficient=chosen["lateral_cortex"] == WallState.DEFICIENT,
            superior_wall_deficient=chosen["superior_wall"] == WallState.DEFICIENT,
            solitary_resectable_for_cure=resectable == Resectable.YES,
        )
        cls = result.harrington_class
        text = f"Harrington class {cls.value}" if cls is not None else "Harrington: no class fits"
        if resectable is None:
            text += " (solitary resectable lesion not stated: taken as no)"
        self.total.setText(text)
        self.meaning.setText("; ".join(result.reasons))

    # -- widgets -> commands --------------------------------------------------------------------
    def _on_bone_changed(self) -> None:
        target = self.controller.target()
        if target is None or target.kind == TargetKind.SPINE:
            return
        value = self.bone.currentData()
        extra = {k: v for k, v in target.extra.items() if k != BONE_KEY}
        if value is not None:
            extra[BONE_KEY] = str(value)
        if extra != dict(target.extra):
            self.controller.push(UpdateTarget(target.name, replace(target, extra=extra)))

    def _on_combo_changed(self, name: str) -> None:
        target = self.controller.target()
        if target is None or self._system is None:
            return
        items = dict(self._chosen(target, self._system))
        value = self.combos[name].currentData()
        if value is None:
            items.pop(name, None)
        else:
            items[name] = str(value)
        new = ScoreItems(target.name, self._system, items) if items else None
        self.controller.push(SetScoreItems(target.name, new))
