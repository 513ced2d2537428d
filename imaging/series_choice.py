"""Which series of a scan to load: the one named by its id, else the only loadable one; the list of
choices when there are several, in words that say how to choose each (its series UID, or for a series
whose files give none, its folder). Used by :func:`imaging.load.load_volume`.
"""

from __future__ import annotations

import os
from pathlib import Path

from imaging.dicom_series import SeriesPlan
from imaging.errors import NotAVolumeError

__all__ = ["choose_series", "series_label"]


def choose_series(plans: list[SeriesPlan], series_uid: str | None, path: Path) -> SeriesPlan:
    """The plan to load from ``path``'s ``plans``: the one whose id (or series UID) is ``series_uid``, else
    the only loadable one.

    Raises
    ------
    NotAVolumeError
        The named series is absent or not loadable, none is loadable, or several are and none is named
        (the message lists them, :func:`series_label`).
    """
    if series_uid is not None:
        match = [p for p in plans if p.series_id == series_uid] or [
            p for p in plans if p.series_uid == series_uid
        ]
        if not match:
            raise NotAVolumeError(
                f"no series {series_uid} under {path}; found: "
                + "; ".join(series_label(p, plans) for p in plans)
            )
        if match[0].refusal is not None:
            raise NotAVolumeError(match[0].refusal, match[0].series_id)
        return match[0]
    loadable = [p for p in plans if p.loadable]
    if len(loadable) == 1:
        return loadable[0]
    if not loadable:
        if len(plans) == 1:
            raise NotAVolumeError(plans[0].refusal or "not loadable", plans[0].series_id)
        raise NotAVolumeError(
            "no loadable CT series: " + "; ".join(f"{p.series_id}: {p.refusal}" for p in plans)
        )
    raise NotAVolumeError(
        f"{len(loadable)} loadable series found, choose one by its series UID: "
        + "; ".join(series_label(p, plans) for p in loadable)
    )


def series_label(plan: SeriesPlan, plans: list[SeriesPlan]) -> str:
    """The series as a list of choices names it: its id, description, modality, slices, and how to choose
    it when its files give no series UID (:func:`_without_uid`)."""
    desc = f" '{plan.description}'" if plan.description else ""
    how = _without_uid(plan, plans)
    return f"{plan.series_id}{desc} ({plan.modality or '?'}, {len(plan.frames)} slice(s){how})"


def _without_uid(plan: SeriesPlan, plans: list[SeriesPlan]) -> str:
    """How to choose a series whose files give no (0020,000E) Series Instance UID, "" for one whose files
    do: its id is "" (or "#2" ... for a further stack), which a list of UIDs does not show (QA s25 E12: the
    abdomen's dicom-j2k series, listed by its description only). Opening its folder chooses it when no
    other loadable series lies in that folder or under it; else its id does."""
    if plan.series_uid:
        return ""
    folder = Path(os.path.commonpath([str(Path(f.path).parent) for f in plan.frames]))
    others = (p for p in plans if p is not plan and p.loadable)
    if any(Path(f.path).is_relative_to(folder) for p in others for f in p.frames):
        return f'; no series UID: choose it with --series "{plan.series_id}"'
    return f"; no series UID: open its folder {folder} instead"
