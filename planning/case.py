"""The Case aggregate: every value of one patient's plan, with change events (psygnal).

All positions are LPS mm (see ``planning.model``). The Case holds values only; derived results
(coverage, margins, risk, scores) are computed from it elsewhere and never stored.

API summary
-----------
``case = Case()``; read-only views: ``case.info``, ``case.settings``, ``case.review`` (values) and the
keyed sections ``case.images`` (by series_uid), ``case.layers``, ``case.targets``,
``case.trajectories``, ``case.forbidden`` (by name), ``case.cement``, ``case.scores`` (by target name),
each a ``Mapping[str, value]`` in insertion (= display) order.

Changes (GUI code must go through ``planning.commands`` so they can be undone; these are what the
commands call):
``case.add(section, item, index=None)``, ``case.remove(section, key) -> (item, index)``,
``case.replace(section, key, item) -> bool`` (``item`` may carry a new key: a rename, same position),
``case.put(section, item) -> bool`` (add or replace by the item's own key),
``case.move(section, key, index) -> bool`` (reorder, e.g. layer drawing order),
``case.set_info(info)``, ``case.set_settings(settings)``, ``case.set_review(review | None)``.
Each returns whether something really changed; an equal value changes nothing and emits nothing.

Events: ``case.events.<section>`` for each ``Section`` value (``info``, ``images``, ``layers``,
``targets``, ``trajectories``, ``settings``, ``forbidden``, ``cement``, ``scores``, ``review``) and the
catch-all ``case.events.changed``; each emits one ``Change(section, key, old, new)`` per real change
(``old`` None for an add, ``new`` None for a remove; ``key`` is the old key on a rename).

``case.snapshot()`` gives an immutable ``CaseState`` (equality = every value equal, masks voxel-exact);
``Case.from_state(state)`` builds a case from one. ``case.uid`` is a stable identity saved in the file;
``case.created_utc`` / ``case.modified_utc`` are file timestamps kept by ``planning.case_io``.

The sections, the change record and signals, the snapshot and the error are defined in
:mod:`planning.case_sections` and importable from here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from planning import model
from planning.case_sections import KEYED_SECTIONS, CaseEvents, CaseItemError, CaseState, Change, Section
from planning.model import CaseInfo, PlanSettings, ReviewResult

__all__ = ["KEYED_SECTIONS", "Case", "CaseItemError", "CaseState", "Change", "Section"]


class _View(Mapping[str, Any]):
    """A read-only live view of one keyed section."""

    __slots__ = ("_data",)

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"<{len(self._data)} items: {', '.join(self._data)}>"


class Case:
    """One patient's plan: the single aggregate every feature stores its values in."""

    def __init__(self, *, uid: str | None = None) -> None:
        self.uid: str = uid or uuid.uuid4().hex
        # Set by planning.case_io on load / save (ISO 8601 UTC); not values of the plan, not evented.
        self.created_utc: str = ""
        self.modified_utc: str = ""
        self.events = CaseEvents()
        self._info = CaseInfo()
        self._settings = PlanSettings()
        self._review: ReviewResult | None = None
        self._sections: dict[Section, dict[str, Any]] = {s: {} for s in KEYED_SECTIONS}

    # ----------------------------------------------------------------------------- read access
    @property
    def info(self) -> CaseInfo:
        """Identity and status."""
        return self._info

    @property
    def settings(self) -> PlanSettings:
        """Plan settings."""
        return self._settings

    @property
    def review(self) -> ReviewResult | None:
        """Post-procedure review values, if any."""
        return self._review

    @property
    def images(self) -> Mapping[str, model.ImageRef]:
        """Referenced volumes by series UID."""
        return _View(self._sections[Section.IMAGES])

    @property
    def layers(self) -> Mapping[str, model.MaskLayer]:
        """Mask layers by name, in drawing order."""
        return _View(self._sections[Section.LAYERS])

    @property
    def targets(self) -> Mapping[str, model.Target]:
        """Targets by name."""
        return _View(self._sections[Section.TARGETS])

    @property
    def trajectories(self) -> Mapping[str, model.Trajectory]:
        """Trajectories by name."""
        return _View(self._sections[Section.TRAJECTORIES])

    @property
    def forbidden(self) -> Mapping[str, model.ForbiddenStructure]:
        """Forbidden structures by name."""
        return _View(self._sections[Section.FORBIDDEN])

    @property
    def cement(self) -> Mapping[str, model.CementChoice]:
        """Cement choices by target name."""
        return _View(self._sections[Section.CEMENT])

    @property
    def scores(self) -> Mapping[str, model.ScoreItems]:
        """Score item choices by target name."""
        return _View(self._sections[Section.SCORES])

    def section(self, section: Section | str) -> Mapping[str, Any]:
        """A keyed section by its name."""
        return _View(self._section(section))

    def trajectories_of(self, target: str) -> list[model.Trajectory]:
        """The trajectories aimed at target ``target``, in order."""
        return [t for t in self._sections[Section.TRAJECTORIES].values() if t.target == target]

    def index_of(self, section: Section | str, key: str) -> int:
        """Position of ``key`` in its section.

        Raises
        ------
        CaseItemError
            When there is no such item.
        """
        data = self._section(section)
        if key not in data:
            raise CaseItemError(section, key, "no such item")
        return list(data).index(key)

    # ----------------------------------------------------------------------------- changes
    def add(self, section: Section | str, item: Any, index: int | None = None) -> None:
        """Add ``item`` at ``index`` (default: last).

        Raises
        ------
        CaseItemError
            When an item with the same key exists or the item has the wrong type.
        """
        sec = Section(section)
        data = self._section(sec)
        key = self._key(sec, item)
        if key in data:
            raise CaseItemError(sec, key, "an item with this name already exists")
        items = list(data.items())
        pos = len(items) if index is None else max(0, min(index, len(items)))
        items.insert(pos, (key, item))
        _refill(data, items)
        self._emit(Change(sec, key, None, item))

    def remove(self, section: Section | str, key: str) -> tuple[Any, int]:
        """Remove the item ``key``; returns it and its former position (for undo).

        Raises
        ------
        CaseItemError
            When there is no such item.
        """
        sec = Section(section)
        index = self.index_of(sec, key)
        item = self._sections[sec].pop(key)
        self._emit(Change(sec, key, item, None))
        return item, index

    def replace(self, section: Section | str, key: str, item: Any) -> bool:
        """Replace item ``key`` by ``item`` at the same position; ``item`` may have a new key (rename).

        Returns
        -------
        bool
            False (and no event) when ``item`` equals the current value.

        Raises
        ------
        CaseItemError
            When ``key`` is unknown, or the new key is taken by another item.
        """
        sec = Section(section)
        data = self._section(sec)
        if key not in data:
            raise CaseItemError(sec, key, "no such item")
        new_key = self._key(sec, item)
        old = data[key]
        if new_key == key and old == item:
            return False
        if new_key != key:
            if new_key in data:
                raise CaseItemError(sec, new_key, "an item with this name already exists")
            _refill(data, [(new_key, item) if k == key else (k, v) for k, v in data.items()])
        else:
            data[key] = item
        self._emit(Change(sec, key, old, item))
        return True

    def move(self, section: Section | str, key: str, index: int) -> bool:
        """Move item ``key`` to position ``index`` (clamped); False (no event) when it is already there.

        The event's ``old`` and ``new`` are the same item: only the order changed.

        Raises
        ------
        CaseItemError
            When there is no such item.
        """
        sec = Section(section)
        data = self._section(sec)
        current = self.index_of(sec, key)
        target = max(0, min(int(index), len(data) - 1))
        if target == current:
            return False
        items = [(k, v) for k, v in data.items() if k != key]
        items.insert(target, (key, data[key]))
        _refill(data, items)
        self._emit(Change(sec, key, data[key], data[key]))
        return True

    def put(self, section: Section | str, item: Any) -> bool:
        """Add ``item``, or replace the item with the same key; False when nothing changed."""
        sec = Section(section)
        key = self._key(sec, item)
        if key in self._section(sec):
            return self.replace(sec, key, item)
        self.add(sec, item)
        return True

    def set_info(self, info: CaseInfo) -> bool:
        """Set the case's identity and status; False (no event) when equal."""
        if not isinstance(info, CaseInfo):
            raise TypeError(f'Argument "info" must be a CaseInfo, got {type(info).__name__}')
        if info == self._info:
            return False
        old, self._info = self._info, info
        self._emit(Change(Section.INFO, None, old, info))
        return True

    def set_settings(self, settings: PlanSettings) -> bool:
        """Set the plan settings; False (no event) when equal."""
        if not isinstance(settings, PlanSettings):
            raise TypeError(f'Argument "settings" must be a PlanSettings, got {type(settings).__name__}')
        if settings == self._settings:
            return False
        old, self._settings = self._settings, settings
        self._emit(Change(Section.SETTINGS, None, old, settings))
        return True

    def set_review(self, review: ReviewResult | None) -> bool:
        """Set or clear the review values; False (no event) when equal."""
        if review is not None and not isinstance(review, ReviewResult):
            raise TypeError(f'Argument "review" must be a ReviewResult or None, got {type(review).__name__}')
        if review == self._review:
            return False
        old, self._review = self._review, review
        self._emit(Change(Section.REVIEW, None, old, review))
        return True

    # ----------------------------------------------------------------------------- whole state
    def snapshot(self) -> CaseState:
        """An immutable copy of every value (cheap: values are shared, not copied)."""
        s = self._sections
        return CaseState(
            info=self._info,
            settings=self._settings,
            review=self._review,
            images=tuple(s[Section.IMAGES].values()),
            layers=tuple(s[Section.LAYERS].values()),
            targets=tuple(s[Section.TARGETS].values()),
            trajectories=tuple(s[Section.TRAJECTORIES].values()),
            forbidden=tuple(s[Section.FORBIDDEN].values()),
            cement=tuple(s[Section.CEMENT].values()),
            scores=tuple(s[Section.SCORES].values()),
        )

    @classmethod
    def from_state(cls, state: CaseState, *, uid: str | None = None) -> Case:
        """A new case holding the values of ``state`` (no events are emitted: nobody listens yet).

        Raises
        ------
        CaseItemError
            When a section holds two items with the same key or an item of the wrong type.
        """
        case = cls(uid=uid)
        case._info = state.info
        case._settings = state.settings
        case._review = state.review
        for sec in KEYED_SECTIONS:
            data = case._sections[sec]
            for item in getattr(state, sec.value):
                key = case._key(sec, item)
                if key in data:
                    raise CaseItemError(sec, key, "duplicate name")
                data[key] = item
        return case

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Case):
            return NotImplemented
        return self.snapshot() == other.snapshot()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        counts = ", ".join(f"{s.value}={len(d)}" for s, d in self._sections.items() if d)
        return f"Case(uid={self.uid[:8]}, status={self._info.status.value}, {counts or 'empty'})"

    # ----------------------------------------------------------------------------- private
    def _section(self, section: Section | str) -> dict[str, Any]:
        sec = Section(section)
        if sec not in self._sections:
            raise ValueError(f'Section "{sec.value}" is not a keyed section; use set_{sec.value}()')
        return self._sections[sec]

    @staticmethod
    def _key(section: Section, item: Any) -> str:
        cls, attr = KEYED_SECTIONS[section]
        if not isinstance(item, cls):
            raise CaseItemError(
                section, repr(item)[:40], f"must be a {cls.__name__}, got {type(item).__name__}"
            )
        key = getattr(item, attr)
        if not isinstance(key, str):
            raise CaseItemError(section, repr(key), "key must be a string")
        return key

    def _emit(self, change: Change) -> None:
        getattr(self.events, change.section.value).emit(change)
        self.events.changed.emit(change)


def _refill(data: dict[str, Any], items: list[tuple[str, Any]]) -> None:
    """Reorder a section in place (views handed out earlier stay live)."""
    data.clear()
    data.update(items)
