"""DICOM files without a (0020,000E) Series Instance UID: which of them make one series.

A Series Instance UID is what says which files are one series. Files without one were all put into one
series "", so two such series in two folders (or two in one folder) of the same size and orientation
were planned as one volume: their slices interleaved, stacked end to end, or half of each kept where
their positions repeat (a silently wrong volume). Here such files are grouped by what their headers
do say: their folder, (0020,000D) Study Instance UID, (0020,0052) Frame of Reference UID and
(0020,0011) Series Number (:func:`series_key`). A group whose slices still repeat a position, or whose
single-frame files repeat an (0020,0013) Instance Number, holds more than one stack: it is split by
(0020,0012) Acquisition Number when that leaves no repeat in any part, else refused with words that
say why and what to do (:func:`split_stacks`). Never a merged volume.

Positions are compared along the slice normal (mm), with the duplicate tolerance of
:mod:`imaging.series_plan`.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from pathlib import Path

from imaging.dicom_frames import FrameHeader
from imaging.series_plan import frame_name, repeated_positions, slice_axes

__all__ = ["described", "folder_of", "series_key", "split_stacks"]


def series_key(h: FrameHeader) -> tuple[str, ...]:
    """What puts a frame into a series: its Series Instance UID; for a file without one, its folder,
    Study and Frame of Reference UIDs and Series Number (each of which differs between two series)."""
    if h.series_uid:
        return (h.series_uid,)
    return (
        "",
        str(Path(h.path).parent),
        h.study_uid,
        h.frame_of_reference_uid,
        str(h.meta.get("series_number", "")),
    )


def folder_of(frames: list[FrameHeader] | tuple[FrameHeader, ...]) -> Path:
    """The folder that holds all of ``frames``' files (their deepest common folder)."""
    return Path(os.path.commonpath([str(Path(f.path).parent) for f in frames]))


def described(frames: list[FrameHeader] | tuple[FrameHeader, ...]) -> str:
    """What tells a UID-less series apart, for a list of series: "no series UID; files in FOLDER" and its
    Series and Acquisition Numbers when its files give them; "" for a series with a UID."""
    if not frames or frames[0].series_uid:
        return ""
    h = frames[0]
    numbers = [
        f"{name} {value}"
        for name, value in (
            ("series number", h.meta.get("series_number", "")),
            ("acquisition number", h.meta.get("acquisition_number", "")),
        )
        if value
    ]
    return ", ".join([f"no series UID; files in {folder_of(frames)}", *numbers])


def split_stacks(frames: list[FrameHeader]) -> tuple[list[list[FrameHeader]], str | None]:
    """The stacks in one group of UID-less frames of one size and orientation, and a refusal.

    Returns ``([frames], None)`` when nothing shows two stacks; the parts by (0020,0012) Acquisition
    Number when the group repeats a slice position or an instance number and each part repeats
    neither; else ``([frames], reason)``: the group cannot be told apart into series and is refused.
    """
    repeat = _repeat(frames)
    if repeat is None:
        return [frames], None
    by_acquisition: dict[str, list[FrameHeader]] = defaultdict(list)
    for h in frames:
        by_acquisition[str(h.meta.get("acquisition_number", ""))].append(h)
    parts = list(by_acquisition.values())
    if len(parts) > 1 and all(_repeat(p) is None for p in parts):
        return parts, None
    n_files = len({h.path for h in frames})
    return [frames], (
        f"{n_files} files in {folder_of(frames)} have no (0020,000E) Series Instance UID and {repeat}: "
        "they hold more than one series, and nothing in their headers (Study and Frame of Reference UIDs, "
        "Series Number, Acquisition Number) says which slice belongs to which, so they were not merged. "
        "Put each series in its own folder, or export them with their Series Instance UIDs"
    )


def _repeat(frames: list[FrameHeader]) -> str | None:
    """Words for what shows that ``frames`` are more than one stack: a slice position taken twice, or an
    instance number given to two single-frame files; None when neither is."""
    axes = slice_axes(frames[0])
    placed = [h for h in frames if h.position_lps is not None]
    if axes is not None and len(placed) > 1:
        _, _, repeats = repeated_positions(placed, axes[2])
        if repeats:
            again, first = repeats[0]
            a, b = placed[first], placed[again]
            return (
                f"{len(repeats)} slice position(s) are taken twice (e.g. {frame_name(a)} and {frame_name(b)})"
            )
    numbers = Counter(
        h.instance_number for h in frames if h.n_frames_in_file == 1 and h.instance_number is not None
    )
    twice = sorted(n for n, count in numbers.items() if count > 1)
    if twice:
        pair = [frame_name(h) for h in frames if h.instance_number == twice[0]][:2]
        return (
            f"{len(twice)} instance number(s) are given to two files (e.g. {twice[0]}: "
            f"{pair[0]} and {pair[1]})"
        )
    return None
