"""Exceptions raised by the planning layer, each carrying the data for a specific message."""

from __future__ import annotations


class PlanningError(Exception):
    """Base class of every error the planning layer raises on purpose."""


class PlanValidationError(PlanningError):
    """A plan value is missing or out of its allowed range.

    Parameters
    ----------
    field
        The name of the value (with its unit, e.g. ``"margin_mm"``).
    value
        The value given (None: not given).
    limit
        What is allowed, as a phrase that follows "expected" (e.g. ``"a number in 0-20"``).
    """

    def __init__(self, field: str, value: object, limit: str) -> None:
        self.field = field
        self.value = value
        self.limit = limit
        if value is None:  # a key that was not given (or given as JSON null)
            super().__init__(f'"{field}" is missing: expected {limit}')
        else:
            super().__init__(f'"{field}" = {value!r}: expected {limit}')


class CaseFileError(PlanningError):
    """A case file cannot be read (unreadable, truncated, newer version). It is never overwritten."""

    def __init__(self, reason: str, path: str | None = None) -> None:
        self.reason = reason
        self.path = path
        where = f"{path}: " if path else ""
        super().__init__(f"{where}{reason}")
