"""Exceptions raised by the planning layer, each carrying the data for a specific message."""

from __future__ import annotations


class PlanningError(Exception):
    """Base class of every error the planning layer raises on purpose."""


class PlanValidationError(PlanningError):
    """A plan value is out of its allowed range.

    Parameters
    ----------
    field
        The name of the value (with its unit, e.g. ``"margin_mm"``).
    value
        The value given.
    limit
        The limit it broke, as a phrase (e.g. ``"0-20 mm"``).
    """

    def __init__(self, field: str, value: object, limit: str) -> None:
        self.field = field
        self.value = value
        self.limit = limit
        super().__init__(f'"{field}" = {value!r} is outside {limit}')


class CaseFileError(PlanningError):
    """A case file cannot be read (unreadable, truncated, newer version). It is never overwritten."""

    def __init__(self, reason: str, path: str | None = None) -> None:
        self.reason = reason
        self.path = path
        where = f"{path}: " if path else ""
        super().__init__(f"{where}{reason}")
