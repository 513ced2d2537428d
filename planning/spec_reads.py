"""A JSON object that records which of its keys were read: the plan spec's unused keys, found by reading.

``osteoplan plan`` ignored a key it did not know without a word (QA s31 D: ``"margn_mm": 5`` gave a plan
with the default margin). DESIGN.md lets more keys be added, so an unknown key is not refused; instead
the plan says which keys it never read. :class:`ReadRecorder` wraps the loaded JSON (nested objects, and
objects in lists, wrapped too) and notes each key whose value a reader takes (``spec["k"]``,
``spec.get("k")``); :func:`unread_paths` lists, by their place in the spec (``targets[0].vertebra_lsp``),
the keys no reader took. Nothing is listed by hand here, so the record cannot drift from the readers.

Rules: ``"k" in spec`` is not a read (the readers test presence and then read); a reader that iterates an
object (``dict(obj)``, ``obj.items()``, ``for k in obj``) takes the whole of it, nested objects included
(it checks the keys itself, as :mod:`planning.target_choices` does); a key not read hides what lies under
it. A :class:`ReadRecorder` is a ``dict``, so ``isinstance(x, dict)`` and ``Mapping`` checks and
``json.dumps`` work as on the plain JSON.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _collections_abc import dict_items, dict_keys, dict_values


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _wrap(value: Any, path: str) -> Any:
    """``value`` with every JSON object in it (at any depth, lists included) a :class:`ReadRecorder`."""
    if isinstance(value, Mapping):
        return ReadRecorder(value, path)
    if isinstance(value, list):
        return [_wrap(v, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


def place_of(path: str) -> str:
    """The place of an object in the spec, indices dropped: ``targets[2]`` -> ``targets[]``."""
    return re.sub(r"\[\d+\]", "[]", path)


class ReadRecorder(dict[str, Any]):
    """A JSON object (a ``dict``) noting the keys read from it; ``path`` is its place in the spec."""

    def __init__(self, data: Mapping[str, Any], path: str = "") -> None:
        super().__init__({k: _wrap(v, _join(path, str(k))) for k, v in data.items()})
        self.path = path
        #: keys whose value was taken
        self.read: set[str] = set()
        #: keys a reader asked for, present or not (``get`` with a default asks for an absent one)
        self.asked: set[str] = set()
        #: True once a reader iterated the object: it took every key (and what lies under them)
        self.whole = False

    def _note(self, key: Any) -> None:
        if isinstance(key, str):
            self.asked.add(key)
            if dict.__contains__(self, key):
                self.read.add(key)

    def __getitem__(self, key: str) -> Any:
        self._note(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None, /) -> Any:
        self._note(key)
        return super().get(key, default)

    def __iter__(self) -> Iterator[str]:
        self.whole = True
        return super().__iter__()

    def keys(self) -> dict_keys[str, Any]:
        self.whole = True
        return super().keys()

    def values(self) -> dict_values[str, Any]:
        self.whole = True
        return super().values()

    def items(self) -> dict_items[str, Any]:
        self.whole = True
        return super().items()

    def copy(self) -> dict[str, Any]:
        self.whole = True
        return super().copy()


def unread_paths(value: Any) -> list[str]:
    """The place of every key under ``value`` that no reader took, in the spec's order; a key not read
    is listed alone (not what lies under it), an object a reader iterated is not looked into."""
    out: list[str] = []
    if isinstance(value, ReadRecorder):
        if value.whole:
            return out
        for key, v in dict.items(value):  # dict's own items: looking does not count as reading
            if key in value.read:
                out += unread_paths(v)
            else:
                out.append(_join(value.path, key))
    elif isinstance(value, list):
        for v in value:
            out += unread_paths(v)
    return out


def asked_keys(value: Any) -> dict[str, set[str]]:
    """The keys readers asked for (present or not), by place (:func:`place_of`)."""
    out: dict[str, set[str]] = {}
    if isinstance(value, ReadRecorder):
        out.setdefault(place_of(value.path), set()).update(value.asked)
        children: list[Any] = list(dict.values(value))
    elif isinstance(value, list):
        children = value
    else:
        return out
    for v in children:
        for place, keys in asked_keys(v).items():
            out.setdefault(place, set()).update(keys)
    return out


def nearest_key(key: str, known: Iterable[str]) -> str | None:
    """The known key ``key`` is probably a misspelling of (difflib's closest, ratio 0.6 or more), or None."""
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    return close[0] if close else None
