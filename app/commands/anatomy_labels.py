"""The label files of ``osteoplan anatomy --out``: which structure goes in which file, with which value.

A label file holds one value per voxel, so it can hold only structures that do not overlap. The anatomy
search's masks (:class:`imaging.vertebra_model.VertebraAnatomy`, on the CT's grid) fall in two groups:

- the vertebral body, the spinal canal and the two pedicles lie side by side (they share at most a few
  voxels along their borders): they go in the ``--out`` file, values 1 vertebral_body, 2 spinal_canal,
  4 left_pedicle, 5 right_pedicle;
- the posterior wall band and the superior and inferior endplates are bands *inside* the body (each of
  their voxels is also a body voxel): they go in a second file beside it, named after it with
  ``_bands`` before the extension (``labels.nii.gz`` -> ``labels_bands.nii.gz``), values
  3 posterior_wall, 6 superior_endplate, 7 inferior_endplate.

The values are unique over both files (and are those the single file had before), so one legend reads
both. Where two structures of one file share a voxel, the one earlier in its file's tuple
(:data:`OUT_FILE`, :data:`BANDS_FILE`) keeps it: the body keeps its whole mask (its label's voxel count
times the voxel volume is the body mask's volume), then the canal, then the pedicles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from imaging.image_files import IMAGE_SUFFIXES
from imaging.mask import Mask
from imaging.vertebra_model import Side, VertebraAnatomy

#: label value of each structure, named as the anatomy JSON's own keys where it has them
LABEL_VALUES = {
    "vertebral_body": 1,
    "spinal_canal": 2,
    "posterior_wall": 3,
    "left_pedicle": 4,
    "right_pedicle": 5,
    "superior_endplate": 6,
    "inferior_endplate": 7,
}
#: the structures of the --out file, in precedence order (an earlier one keeps a shared voxel)
OUT_FILE = ("vertebral_body", "spinal_canal", "left_pedicle", "right_pedicle")
#: the bands inside the body, written to the second file, in precedence order
BANDS_FILE = ("posterior_wall", "superior_endplate", "inferior_endplate")
#: inserted before the extension of the --out name to name the bands file
BANDS_SUFFIX = "_bands"


def bands_path(out: Path) -> Path:
    """The bands file beside ``out``: ``labels.nii.gz`` -> ``labels_bands.nii.gz`` (same folder)."""
    name = out.name
    for suffix in sorted(IMAGE_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            stem, ext = name[: len(name) - len(suffix)], name[len(name) - len(suffix) :]
            return out.with_name(f"{stem}{BANDS_SUFFIX}{ext}")
    return out.with_name(f"{name}{BANDS_SUFFIX}")


def structure_masks(anatomy: VertebraAnatomy) -> dict[str, Mask | None]:
    """Each labelled structure's mask on the CT's grid (None where it was not found)."""
    left = anatomy.pedicles.get(Side.LEFT)
    right = anatomy.pedicles.get(Side.RIGHT)
    return {
        "vertebral_body": anatomy.body,
        "spinal_canal": anatomy.canal,
        "posterior_wall": anatomy.posterior_wall,
        "left_pedicle": None if left is None else left.mask,
        "right_pedicle": None if right is None else right.mask,
        "superior_endplate": anatomy.superior_endplate,
        "inferior_endplate": anatomy.inferior_endplate,
    }


def label_array(
    shape: tuple[int, int, int], masks: Mapping[str, Mask | None], names: Sequence[str]
) -> npt.NDArray[np.uint8]:
    """A uint8 label volume of ``names`` (:data:`LABEL_VALUES`); an earlier name keeps a shared voxel."""
    labels = np.zeros(shape, dtype=np.uint8)
    for name in names:
        mask = masks.get(name)
        if mask is None or not mask.any():
            continue
        box = labels[mask.slices]
        box[mask.array & (box == 0)] = LABEL_VALUES[name]
    return labels


def legend(names: Sequence[str]) -> dict[str, str]:
    """The JSON legend of a file holding ``names``: ``{"1": "vertebral_body", ...}``."""
    return {str(LABEL_VALUES[name]): name for name in names}
