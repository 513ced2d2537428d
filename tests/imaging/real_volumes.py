"""The real CTs and label maps several test files read (lumbar-ct-labels, abdomen-pelvis-ct), each read once
per pytest process and shared.

Read as the program reads them: a CT through :func:`imaging.load.load_volume`, a label map through
:func:`imaging.image_files.read_image`. Until session 29 tests/imaging/test_vertebra_realdata.py read the
same files with SimpleITK directly and tests/imaging/endplate_cases.py (and the ``abdomen`` fixture of
tests/imaging/conftest.py) through these readers, so a run read them twice. Both routes give the same
values and the same affine for all six files (max |difference| 0, affines equal to the last bit) and the same
anatomy from the abdomen's six body clicks; only the dtypes differ (the readers give int16 where SimpleITK
gave the abdomen CT int32 and the label maps uint8): tests/benchmarks/real_volume_routes.py measures it.

The arrays are shared between the tests that ask for them, so they are read-only: a test that wrote into
one would change what every later test reads; it fails at the write instead.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import numpy.typing as npt

from imaging.image_files import read_image
from imaging.load import load_volume
from imaging.volume import Volume

LUMBAR = "lumbar-ct-labels"
ABDOMEN = "abdomen-pelvis-ct"


def lumbar_ct(data: Path | str) -> Volume:
    """lumbar-ct-labels' CT (1.5 mm, stored PIR)."""
    return _ct(str(Path(data) / LUMBAR / "sub-ct_label-22_ct.nii.gz"))


def lumbar_subregions(data: Path | str) -> npt.NDArray[np.integer]:
    """lumbar-ct-labels' subregion labels (41 arch/pedicle, 49 body cortex, 50 body) on the CT's grid."""
    return _labels(str(Path(data) / LUMBAR / "sub-ct_seg-subreg_label-22_msk.nii.gz"))


def lumbar_vertebrae(data: Path | str) -> npt.NDArray[np.integer]:
    """lumbar-ct-labels' vertebra labels (21 L2, 22 L3, 23 L4) on the CT's grid."""
    return _labels(str(Path(data) / LUMBAR / "sub-ct_seg-vert_label-22_msk.nii.gz"))


def abdomen_ct(data: Path | str) -> Volume:
    """abdomen-pelvis-ct's CT (3 mm slices, T12 to the sacrum)."""
    return _ct(str(Path(data) / ABDOMEN / "ct.nii.gz"))


def abdomen_levels(data: Path | str) -> npt.NDArray[np.integer]:
    """abdomen-pelvis-ct's model-made vertebra labels (labels-model: 32 T12 .. 27 L5) on the CT's grid."""
    return _labels(str(Path(data) / ABDOMEN / "labels-model.nii.gz"))


def abdomen_bodies(data: Path | str) -> npt.NDArray[np.integer]:
    """abdomen-pelvis-ct's model-made bodies and discs (vertebral-bodies-model: 1 bodies, 2 discs)."""
    return _labels(str(Path(data) / ABDOMEN / "vertebral-bodies-model.nii.gz"))


@functools.cache
def _ct(path: str) -> Volume:
    volume = load_volume(Path(path)).volume
    volume.array.flags.writeable = False
    return volume


@functools.cache
def _labels(path: str) -> npt.NDArray[np.integer]:
    out: npt.NDArray[np.integer] = read_image(Path(path)).array
    out.flags.writeable = False
    return out
