"""The Vertebrae dock: the vertebrae found in the case and the level naming field.

The operator selects one vertebra, types its level (e.g. "L3") and presses Name: the vertebrae with no
gap between them and it are labelled by counting along the spine from it (body centroids LPS mm and
body heights, :mod:`app.segmentation.vertebra_levels`), in one undo step. The labels of the others are
shown as suggestions (counting can be off by one with transitional anatomy). Vertebrae across a gap
(farther apart than their bodies and a disc allow: vertebrae between them were not found) are not
counted: the line under the list says how far and about how many levels away they lie, and what to do
(find the vertebrae between, or name it); a level named across a gap is kept, each side counts from its
own, and names the distances contradict are reported there. Giving the selected vertebra a level
another vertebra carries asks first (it renumbers them by position along the spine; the question names
the levels that change, superior first, and the note under the list says what was renumbered).
Rows read "L3   named" (bold, the operator's level, kept with the case) or "L2   counted from L3, check".
The list runs cranial to caudal (body centroids along the spine, superior first:
:func:`app.segmentation.vertebra_levels.in_spine_order`), whatever order they were found in. Naming a
vertebra the level it already has changes nothing and pushes no undo step. The note under the list
says what the latest naming did (or why it did not); it is cleared once the vertebrae or their levels
change by anything else (a find, an undo, a deletion), as it no longer applies.
Selecting a row moves the crosshair to the body's centroid. Anatomy's suggestions (the lowest
rib-bearing vertebra as T12, the sacrum as S1; :func:`app.segmentation.vertebra_tool.level_suggestions`)
are shown beside the labels with their reasons and warnings. A level, named or counted, that the
vertebra's ribs contradict (a thoracic level without ribs, a lumbar one with a rib on each side:
:func:`app.segmentation.vertebra_rib_levels.rib_level_notes`) is warned in the line under the list, with
the level the ribs of the vertebra next to it suggest (L1 under a rib-bearing vertebra, T12 above a
rib-less one), which is offered as the other suggestions are. The button beside the suggestion ("Name
this vertebra L1"; Tab reaches it, Space presses it) names that vertebra with the suggested level and
counts the others from it (one undo step, as any naming). A suggestion never renames anything by itself;
one already applied (the vertebra carries the suggested level) is not shown again. The suggestion shown is
the selected vertebra's, else one its ribs gave for a level they contradict, else the first.

Under the list, the selected vertebra's anatomy figures (:mod:`planning.vertebra_figures`, kept with its
body layer): first its warnings (a body cut by the scan's edge, whose height and volume are then
partial; metal near the vertebra, with where it is), then body volume mL (counted from the body layer as
it is) and height mm, canal area mm², the posterior wall with each defect's place and size, each
pedicle's narrowest width mm and axis angles (degrees) or why it was not traced, and the endplates (centre
LPS mm and tilt from the axial plane in degrees, or why not seen), in a read-only text box that can be
selected and copied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import dialogs
from app.segmentation.vertebra_dock_text import (
    RENUMBER,
    ROW_HELP,
    bad_level_message,
    counted_from,
    estimates_by_distance,
    figure_box_lines,
    renumber_question,
    renumbered,
    rib_note_text,
    row_text,
)
from app.segmentation.vertebra_levels import (
    LevelPlan,
    count_levels,
    in_spine_order,
    level_notes,
    level_plan,
    named_levels,
)
from app.segmentation.vertebra_rib_levels import NeighbourCache, RibLevelNote, rib_level_notes
from app.segmentation.vertebra_tool import (
    FindingCache,
    VertebraEntry,
    level_suggestions,
    vertebrae_of,
)
from imaging.level_anatomy import LevelSuggestion
from imaging.levels import normalize_level

if TYPE_CHECKING:
    from app.segmentation.controller import SegmentationController


#: the suggestion's button while there is none to accept (it reads "Name this vertebra L1" when there is)
ACCEPT = "Accept"
#: rows of the vertebra list shown (at least, at most): a case has a few vertebrae found; it scrolls
LIST_ROWS = (2, 4)
#: lines of the figures box shown at least: body, canal, wall, both pedicles and an endplate (it grows with
#: the dock and scrolls for the rest)
FIGURE_LINES = 6


class VertebraPanel(QDockWidget):
    """Dock listing vertebrae with their levels; names one level and counts the others."""

    def __init__(self, controller: SegmentationController, parent: QWidget | None = None) -> None:
        super().__init__("Vertebrae", parent)
        self.setObjectName("vertebraDock")
        self.controller = controller
        self._go_to = True  # selecting a row moves the crosshair to the vertebra (see select)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setToolTip("Vertebrae found (V: vertebra tool, click in a body) — select to go there")
        # a few rows (it scrolls): the room goes to the selected vertebra's figures below
        row_px = self.list.fontMetrics().lineSpacing() + 4
        self.list.setMinimumHeight(LIST_ROWS[0] * row_px + 2 * self.list.frameWidth())
        self.list.setMaximumHeight(LIST_ROWS[1] * row_px + 2 * self.list.frameWidth())
        # no sideways scroll bar: it hid the last row shown (QA s25 E10); a row's end (the parts found) is
        # elided, the whole row is its tooltip
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        layout.addWidget(self.list)
        self.figures = QPlainTextEdit()
        self.figures.setReadOnly(True)
        self.figures.setObjectName("vertebraFigures")
        self.figures.setToolTip(
            "Anatomy figures of the selected vertebra, as found by the Vertebra tool (select and copy them); "
            "the body's volume is counted from its body layer as drawn"
        )
        line = self.figures.fontMetrics().lineSpacing()
        self.figures.setMinimumHeight(FIGURE_LINES * line + 12)  # scrolls beyond; grows with the dock
        self.figures.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        layout.addWidget(self.figures, 1)
        row = QHBoxLayout()
        self.level_edit = QLineEdit()
        self.level_edit.setPlaceholderText("level, e.g. L3")
        self.level_edit.setToolTip(
            "Name the selected vertebra (C1-S1); the others are labelled by counting from it"
        )
        self.name_button = QPushButton("Name")
        self.name_button.setToolTip("Label every vertebra by counting from the selected one")
        row.addWidget(QLabel("Level"))
        row.addWidget(self.level_edit, 1)
        row.addWidget(self.name_button)
        layout.addLayout(row)
        suggestion_row = QHBoxLayout()
        self.suggestion_label = QLabel("")
        self.suggestion_label.setWordWrap(True)
        self.suggestion_label.setToolTip(
            "Level suggested by anatomy (lowest vertebra with ribs = T12, sacrum = S1); transitional "
            "anatomy is common, so it is only a suggestion"
        )
        self.accept_button = QPushButton(ACCEPT)
        self.accept_button.setToolTip(
            "Name the vertebra with the suggested level; the others are labelled by counting from it "
            "(undoable)"
        )
        self.accept_button.setEnabled(False)
        suggestion_row.addWidget(self.suggestion_label, 1)
        suggestion_row.addWidget(self.accept_button)
        layout.addLayout(suggestion_row)
        self.level_notes = QLabel("")
        self.level_notes.setObjectName("vertebraLevelNotes")
        self.level_notes.setWordWrap(True)
        self.level_notes.setToolTip(
            "Vertebrae not labelled by counting (vertebrae between them and a named one were not found) "
            "and named levels that disagree, with each other or with the vertebra's ribs"
        )
        layout.addWidget(self.level_notes)
        self.notes = QLabel("")
        self.notes.setWordWrap(True)
        layout.addWidget(self.notes)
        #: the vertebrae (ids, levels, named flags) when the note was said: it is cleared once they change
        self._notes_about: tuple[tuple[str, str, bool], ...] = ()
        self.suggestions: dict[str, LevelSuggestion] = {}
        #: ribs / sacrum judged per vertebra (filled by the anatomy worker; else judged here once)
        self.findings: FindingCache = {}
        #: ribs probed one level above / below a vertebra whose level its ribs contradict
        self.neighbour_findings: NeighbourCache = {}
        #: vertebra id -> its level the ribs contradict, with the level they suggest
        self.rib_notes: dict[str, RibLevelNote] = {}
        self.setWidget(body)
        # the list, the figures, Level / Name and the suggestion's Accept stay in view when the docks share
        # an 800 px high screen (beyond that the dock's content scrolls); the title bar is about 2 lines
        self.setMinimumHeight(body.minimumSizeHint().height() + 2 * line)
        self.name_button.clicked.connect(lambda: self.name_selected(self.level_edit.text()))
        self.level_edit.returnPressed.connect(lambda: self.name_selected(self.level_edit.text()))
        self.list.currentItemChanged.connect(self._on_list_current_changed)
        self.accept_button.clicked.connect(self._on_accept_button_clicked)
        controller.model_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the list from the case (signals blocked)."""
        volume = self.controller.volume()
        current = self.selected_id()
        entries = in_spine_order(
            vertebrae_of(self.controller.window.case.case, None if volume is None else volume.index_to_lps)
        )
        if _state(entries) != self._notes_about:
            self.notes.setText("")  # said about vertebrae that have changed since
        case = self.controller.window.case.case
        self.suggestions = {} if volume is None else level_suggestions(case, volume, self.findings)
        self.rib_notes = (
            {} if volume is None else rib_level_notes(case, volume, self.findings, self.neighbour_findings)
        )
        for vid, note in self.rib_notes.items():
            if note.suggestion is not None:
                self.suggestions.setdefault(vid, note.suggestion)
        counted = [e for e in entries if e.centroid_lps is not None]
        anchors = named_levels(counted)
        result = count_levels(counted, anchors) if anchors else None
        estimates = estimates_by_distance(counted, result)
        said = [] if result is None else level_notes(counted, result)
        said += [
            rib_note_text(e.prefix, self.rib_notes[e.vertebra_id])
            for e in entries
            if e.vertebra_id in self.rib_notes
        ]
        self.level_notes.setText(" ".join(said))
        self.list.blockSignals(True)
        self.list.clear()
        froms = counted_from(counted, result)
        for e in entries:
            suggestion = self.suggestions.get(e.vertebra_id)
            text = row_text(
                e,
                counted_from=froms.get(e.vertebra_id, ""),
                estimate=estimates.get(e.vertebra_id, ""),
                suggested="" if suggestion is None else suggestion.level,
            )
            item = QListWidgetItem(text)
            item.setToolTip(f"{text}\n{ROW_HELP}" if e.level else text)
            if e.named and e.level:  # the anchor stands out from the levels counted from it
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            item.setData(Qt.ItemDataRole.UserRole, e.vertebra_id)
            self.list.addItem(item)
            if e.vertebra_id == current:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        # the row the note under the list talks about first is scrolled into view (QA s25 E10: at 1280x1000
        # with five vertebrae the note's "V5" was out of view); the selected row stays in view if both fit
        gaps = [] if result is None else [g.index for g in result.gaps if not counted[g.index].level]
        noted = [counted[i].vertebra_id for i in gaps] + [
            e.vertebra_id for e in entries if e.vertebra_id in self.rib_notes
        ]
        self._scroll_to([self.selected_id(), *noted[:1]])
        self._show_suggestion()
        self._show_figures()

    def _scroll_to(self, ids: list[str | None]) -> None:
        """Scroll these vertebrae's rows into view in turn: the last is in view, the others if they fit."""
        rows = {str(self.list.item(i).data(Qt.ItemDataRole.UserRole)): i for i in range(self.list.count())}
        for vid in ids:
            if vid in rows:
                self.list.scrollToItem(self.list.item(rows[vid]), QAbstractItemView.ScrollHint.EnsureVisible)

    def level_notes_text(self) -> str:
        """What the line about gaps and contradicting levels shows (also for tests)."""
        return self.level_notes.text()

    def figures_text(self) -> str:
        """What the figures box shows (also for tests)."""
        return self.figures.toPlainText()

    def _show_figures(self) -> None:
        vid = self.selected_id()
        if vid is None and self.list.count() == 1:
            vid = str(self.list.item(0).data(Qt.ItemDataRole.UserRole))
        entry = next((e for e in self._entries() if e.vertebra_id == vid), None)
        if entry is None:
            self.figures.setPlainText("")
            return
        body = self.controller.window.case.case.layers.get(entry.layers.get("body", ""))
        lines = figure_box_lines(body, self.controller.volume())
        self.figures.setPlainText(f"{entry.prefix}\n" + "\n".join(lines))

    def suggestion_text(self) -> str:
        """What the suggestion line shows (also for tests)."""
        return self.suggestion_label.text()

    def accept_suggestion(self, vertebra_id: str | None = None) -> bool:
        """Name a vertebra with its suggested level (the selected one's, else the first suggestion)."""
        vid = vertebra_id or self._suggested_id()
        if vid is None or vid not in self.suggestions:
            self._say("No level suggestion to accept.")
            return False
        return self._name(vid, self.suggestions[vid].level)

    def _suggested_id(self) -> str | None:
        """The selected vertebra's suggestion if not yet applied, else the first one not applied."""
        levels = {e.vertebra_id: e.level for e in self._entries()}
        pending = [v for v, s in self.suggestions.items() if levels.get(v) != s.level]
        selected = self.selected_id()
        if selected in pending:
            return selected
        # the ribs' own suggestion for a level they contradict: the one the line under the list names
        ribs = [v for v in pending if (n := self.rib_notes.get(v)) is not None and n.suggestion is not None]
        return next(iter(ribs or pending), None)

    def _show_suggestion(self) -> None:
        vid = self._suggested_id()
        if vid is None:
            self.suggestion_label.setText("")
            self.accept_button.setText(ACCEPT)
            self.accept_button.setEnabled(False)
            return
        s = self.suggestions[vid]
        entry = next((e for e in self._entries() if e.vertebra_id == vid), None)
        who = "this vertebra" if entry is None else entry.prefix
        text = f"Anatomy suggests {s.level} for {who}: {s.reason}."
        if s.warnings:
            text += " Warning: " + " ".join(s.warnings)
        self.suggestion_label.setText(text)
        whom = "this vertebra" if vid == self.selected_id() or entry is None else f"{entry.prefix} as"
        self.accept_button.setText(f"Name {whom} {s.level}")
        self.accept_button.setEnabled(entry is None or entry.level != s.level)

    def _on_accept_button_clicked(self) -> None:
        self.accept_suggestion()

    def _entries(self) -> list[VertebraEntry]:
        volume = self.controller.volume()
        return vertebrae_of(self.controller.window.case.case, None if volume is None else volume.index_to_lps)

    def selected_id(self) -> str | None:
        """Id of the selected vertebra."""
        item = self.list.currentItem()
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def select(self, vertebra_id: str, *, go_to: bool = True) -> None:
        """Select a vertebra by id; ``go_to``: move the crosshair to its body centroid (as a click on
        its row does). False after the operator's own click found it: the views stay where they clicked."""
        self._go_to = go_to
        try:
            for i in range(self.list.count()):
                if self.list.item(i).data(Qt.ItemDataRole.UserRole) == vertebra_id:
                    self.list.setCurrentRow(i)
                    return
        finally:
            self._go_to = True

    def name_selected(self, level: str) -> bool:
        """Name the selected vertebra ``level`` and count the others (one undo step)."""
        vid = self.selected_id()
        if vid is None and self.list.count() == 1:
            vid = str(self.list.item(0).data(Qt.ItemDataRole.UserRole))
        if vid is None:
            if self.list.count() == 0:
                self._say("No vertebra found yet: click a vertebral body with the Vertebra tool (V) first.")
            else:
                self._say("Select the vertebra to name in the list first.")
            return False
        return self._name(vid, level)

    def _name(self, vid: str, level: str) -> bool:
        volume = self.controller.volume()
        if volume is None:
            self._say("Load a volume first.")
            return False
        try:
            canonical = normalize_level(level)
        except ValueError:
            self._say(bad_level_message(level))
            return False
        try:
            plan = level_plan(self.controller.window.case.case, volume.index_to_lps, vid, canonical)
        except ValueError as exc:
            self._say(str(exc))
            return False
        entries = {e.vertebra_id: e for e in self._entries()}
        if plan.changes_nothing:
            self._say(f"This vertebra is already {canonical}: nothing changed.")
            return True
        changes = renumbered(plan, vid)
        holder = next((e for v, e in entries.items() if v != vid and e.level == canonical), None)
        if (holder is not None or plan.cleared) and not self._confirm_renumber(
            entries[vid], holder, canonical, changes, plan
        ):
            self._say(f"Not named: {canonical} stays the level of the vertebra that had it.")
            return False
        case_ctl = self.controller.window.case
        stack = case_ctl.undo_stack
        stack.beginMacro(f"Name vertebra {canonical}")
        try:
            for command in (*plan.first, *plan.second):
                case_ctl.push(command)
        finally:
            stack.endMacro()
        was = entries[vid].level
        text = f"Named {canonical}" + (f" (was {was})." if was and was != canonical else ".")
        if changes:
            text += f" Renumbered by position along the spine: {', '.join(changes)} (Undo restores them)."
        counted = [
            plan.labels[plan.entries[i].vertebra_id]
            for i in plan.result.order
            if plan.entries[i].vertebra_id != vid and plan.entries[i].vertebra_id not in plan.named
        ]
        if any(counted):  # those left unnamed across a gap are in the line above
            listed = ", ".join(lab for lab in counted if lab)
            text += f" By counting (suggestions, check them): {listed}."
        self._say(text)
        return True

    def _confirm_renumber(
        self,
        entry: VertebraEntry,
        holder: VertebraEntry | None,
        level: str,
        changes: list[str],
        plan: LevelPlan,
    ) -> bool:
        """Ask before a level another vertebra carries is given to this one (they are renumbered by
        position along the spine; names across a gap that would repeat a level are cleared)."""
        text = renumber_question(entry, holder, level, changes)
        choice = dialogs.ask_choice(self.controller.window, f"{level} is already named", text, (RENUMBER,))
        return choice == RENUMBER

    def _say(self, text: str) -> None:
        """Show ``text`` in the note under the list, about the vertebrae as they are now, and in the status
        bar (where a refused click's words stayed after a naming: QA s25 E5), not in the other docks."""
        self.notes.setText(text)
        self.controller.jobs.say(f"Vertebrae: {text}", emit=False)
        self._notes_about = _state(vertebrae_of(self.controller.window.case.case, None))

    def _on_list_current_changed(self, *_args: object) -> None:
        self._show_suggestion()
        self._show_figures()
        vid = self.selected_id()
        volume = self.controller.volume()
        if vid is None or volume is None:
            return
        for e in vertebrae_of(self.controller.window.case.case, volume.index_to_lps):
            if e.vertebra_id == vid:
                if e.level:
                    self.level_edit.setText(e.level)
                if e.centroid_lps is not None and self._go_to:
                    self.controller.window.state.set_crosshair(e.centroid_lps)
                if "body" in e.layers:
                    self.controller.set_edit_layer(e.layers["body"])


def _state(entries: list[VertebraEntry]) -> tuple[tuple[str, str, bool], ...]:
    """What a note about the vertebrae depends on: each one's id, level and named flag."""
    return tuple(sorted((e.vertebra_id, e.level, e.named) for e in entries))
