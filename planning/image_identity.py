"""Which images a case was planned on, recorded so that reopening it loads exactly those and refuses others.

A case keeps its planning image as an :class:`planning.model.ImageRef`: the folder or file opened and, in
``extra``, the loader's series id (``SERIES_ID``: the Series Instance UID, ``uid#2`` for a further stack
of that series, ``""`` / ``#2`` for series whose files give no UID, see ``imaging.series_choice``), the
voxel grid (``GRID_SHAPE``, ``GRID_MATRIX``) and a digest of the voxels (``DIGEST``,
:mod:`imaging.volume_digest`). The series id is what the loader is asked for on reopening; the grid and
digest say whether what it found is what was planned on. A mask, a needle or a zone laid on other images
is a wrong needle in a patient: those are refused with the difference in words, never shown.

Cases saved before session 27 hold none of this (the ref's key was the bare series UID, or "volume" /
"planning-volume" for a series without one): they reopen by that UID as before, and by whatever single
series is there when they had none; only their frame of reference can be checked.
"""

from __future__ import annotations

import numpy as np

from imaging.volume import Volume
from imaging.volume_digest import volume_digest
from planning.model import ImageRef

__all__ = [
    "DIGEST",
    "GRID_MATRIX",
    "GRID_SHAPE",
    "LEGACY_KEYS",
    "SERIES_ID",
    "image_mismatch",
    "planning_image",
    "series_to_load",
]

SERIES_ID = "series_id"
GRID_SHAPE = "grid_shape"
GRID_MATRIX = "grid_index_to_lps"
DIGEST = "voxel_digest"
#: the keys older versions gave the image of a series without a Series Instance UID (GUI, CLI)
LEGACY_KEYS = ("volume", "planning-volume")
#: grids whose voxel-to-LPS matrices differ by less than this (mm; direction terms are mm per voxel)
#: are the same grid: far below any voxel, far above the 6 decimals the matrix is written with
GRID_TOLERANCE_MM = 1e-3


def planning_image(volume: Volume, source_path: str, *, key: str = "") -> ImageRef:
    """The ref a new case keeps for ``volume`` opened from ``source_path``.

    ``key``: the ref's key; default the volume's Series Instance UID, or "volume" when it has none (the
    key layers name as their source, unchanged from older versions)."""
    meta = volume.metadata
    matrix = volume.index_to_lps[:3, :]
    extra = {
        SERIES_ID: str(meta.extra.get(SERIES_ID, "")),
        GRID_SHAPE: " x ".join(str(int(n)) for n in volume.shape),
        GRID_MATRIX: " ".join(f"{v:.6f}" for v in matrix.ravel()),
        DIGEST: volume_digest(volume),
    }
    return ImageRef(
        key or meta.series_uid or LEGACY_KEYS[0],
        source_path or meta.source_path,
        frame_of_reference_uid=volume.frame_of_reference_uid,
        description=meta.description,
        extra=extra,
    )


def series_to_load(ref: ImageRef) -> str | None:
    """The series id to ask the loader for when reopening ``ref`` from a folder; None = the only one there."""
    if SERIES_ID in ref.extra:
        return str(ref.extra[SERIES_ID])
    return None if ref.series_uid in LEGACY_KEYS else ref.series_uid


def image_mismatch(ref: ImageRef, volume: Volume) -> str | None:
    """None when ``volume`` is the image ``ref`` records; else what differs, in words, and what to do."""
    found: list[str] = []
    planned_for = ref.frame_of_reference_uid
    if planned_for and volume.frame_of_reference_uid and planned_for != volume.frame_of_reference_uid:
        found.append("their frame of reference (patient position) is another one")
    if SERIES_ID in ref.extra:
        loaded_id = str(volume.metadata.extra.get(SERIES_ID, ""))
        if loaded_id != str(ref.extra[SERIES_ID]):
            found.append(f"they are {_series_words(loaded_id)}")
        grid = _grid_difference(ref, volume)
        if grid is not None:
            found.append(grid)
        elif DIGEST in ref.extra and str(ref.extra[DIGEST]) != volume_digest(volume):
            found.append("their voxels are not the same (same grid, other values: other or changed files)")
    if not found:
        return None
    recorded = ref.extra.get(SERIES_ID)
    planned = f"series {ref.series_uid}" if recorded is None else _series_words(str(recorded))
    shape = f" ({ref.extra[GRID_SHAPE]} voxels)" if GRID_SHAPE in ref.extra else ""
    return (
        f"The case was planned on {planned}{shape} opened from {ref.path}, and the images found there are "
        f"not those: {'; '.join(found)}. The plan was not laid on them, since its masks and needles would "
        "land in the wrong places. Put the planning images back where they were (or open them and plan "
        "again)."
    )


def _series_words(series_id: str) -> str:
    if not series_id:
        return 'the series without a series UID (id "")'
    if series_id.startswith("#"):
        return f'series "{series_id}" (no series UID)'
    uid, _, stack = series_id.partition("#")
    return f"stack {stack} of series {uid}" if stack else f"series {uid} (its main stack)"


def _grid_difference(ref: ImageRef, volume: Volume) -> str | None:
    shape = " x ".join(str(int(n)) for n in volume.shape)
    if GRID_SHAPE in ref.extra and str(ref.extra[GRID_SHAPE]) != shape:
        return f"their grid is {shape} voxels, not {ref.extra[GRID_SHAPE]}"
    if GRID_MATRIX not in ref.extra:
        return None
    try:
        planned = np.array([float(v) for v in str(ref.extra[GRID_MATRIX]).split()]).reshape(3, 4)
    except ValueError:
        return f"the case's grid record is damaged ({GRID_MATRIX} = {ref.extra[GRID_MATRIX]!r})"
    loaded = volume.index_to_lps[:3, :]
    if np.all(np.abs(planned - loaded) <= GRID_TOLERANCE_MM):
        return None
    spacing = np.linalg.norm(loaded[:, :3], axis=0)
    planned_spacing = np.linalg.norm(planned[:, :3], axis=0)
    if np.any(np.abs(spacing - planned_spacing) > GRID_TOLERANCE_MM):
        return f"their voxels are {_mm(spacing)} mm, not {_mm(planned_spacing)} mm (slice x row x column)"
    offset = float(np.linalg.norm(loaded[:, 3] - planned[:, 3]))
    if offset > GRID_TOLERANCE_MM:
        return f"their first voxel is {offset:.1f} mm away from the planned one"
    return "their slices are oriented otherwise"


def _mm(values: np.ndarray) -> str:
    return " x ".join(f"{v:.3g}" for v in values)
