"""NIfTI / NRRD / MHA volumes read and written with SimpleITK.

SimpleITK (ITK) keeps geometry in LPS internally and converts NIfTI's RAS on the way in and out, so
RAS exists only inside this edge. Arrays are ``[slice, row, col]`` (``GetArrayFromImage`` order);
values are taken to be HU (CT exported by a viewer or a pipeline), int16 when integral and in range,
else float32.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import SimpleITK as sitk  # noqa: N813 - the library's usual name

from imaging.errors import DicomImportError
from imaging.volume import SeriesMetadata, Volume, affine_from_geometry

#: file name endings handled here (lower case)
IMAGE_SUFFIXES = (".nii.gz", ".nii", ".nrrd", ".nhdr", ".mha", ".mhd")
#: orthonormality tolerance of a direction matrix that a file format can store
_ORTHO_TOLERANCE = 1e-4


def is_image_file(path: Path) -> bool:
    """True for a path ending in one of :data:`IMAGE_SUFFIXES`."""
    name = path.name.lower()
    return any(name.endswith(s) for s in IMAGE_SUFFIXES)


def read_image(path: Path) -> Volume:
    """Read a NIfTI / NRRD / MHA file as a Volume (LPS geometry, HU values).

    Raises
    ------
    DicomImportError
        When the file cannot be read or is not a 3D single-component image.
    """
    try:
        image: Any = sitk.ReadImage(str(path))
    except RuntimeError as exc:
        raise DicomImportError(f"unreadable image file ({' '.join(str(exc).split())[:160]})", path) from exc
    if image.GetDimension() != 3 or image.GetNumberOfComponentsPerPixel() != 1:
        raise DicomImportError(
            f"not a 3D single-channel volume (dimension {image.GetDimension()}, "
            f"{image.GetNumberOfComponentsPerPixel()} component(s))",
            path,
        )
    array = sitk.GetArrayFromImage(image)
    if (
        np.issubdtype(array.dtype, np.integer)
        and array.size
        and (int(array.min()) >= np.iinfo(np.int16).min and int(array.max()) <= np.iinfo(np.int16).max)
    ):
        array = array.astype(np.int16, copy=False)
    elif (
        np.issubdtype(array.dtype, np.floating)
        and array.size
        and np.all(np.isfinite(array))
        and (
            np.array_equal(array, np.round(array))
            and float(array.min()) >= np.iinfo(np.int16).min
            and float(array.max()) <= np.iinfo(np.int16).max
        )
    ):
        array = array.astype(np.int16)
    else:
        array = array.astype(np.float32, copy=False)
    sx, sy, sz = image.GetSpacing()
    direction = np.asarray(image.GetDirection(), dtype=np.float64).reshape(3, 3)
    matrix = affine_from_geometry(image.GetOrigin(), (sz, sy, sx), direction)
    meta = SeriesMetadata(description=path.name, modality="CT", source_path=str(path))
    return Volume(np.ascontiguousarray(array), matrix, "", meta)


def write_image(volume: Volume, path: Path) -> None:
    """Write ``volume`` to ``path`` (format from the suffix), geometry exact, values unchanged.

    The file is written beside its target and renamed into place, so an interrupted write never
    leaves a half file under the final name.

    Raises
    ------
    ValueError
        For an unknown suffix, or a grid that is not orthogonal (formats store orthonormal directions).
    FileNotFoundError
        When the folder of ``path`` does not exist.
    """
    if not is_image_file(path):
        raise ValueError(f'Argument "path" must end in one of {", ".join(IMAGE_SUFFIXES)}, got {path.name!r}')
    d = volume.direction
    if not np.allclose(d.T @ d, np.eye(3), atol=_ORTHO_TOLERANCE):
        raise ValueError("the volume's grid is not orthogonal; NIfTI / NRRD / MHA cannot store it")
    image: Any = sitk.GetImageFromArray(np.asarray(volume.array))
    s = volume.spacing_mm
    image.SetSpacing((s[2], s[1], s[0]))
    image.SetOrigin(volume.origin_lps)
    image.SetDirection(tuple(float(v) for v in d.reshape(-1)))
    suffix = next(x for x in IMAGE_SUFFIXES if path.name.lower().endswith(x))
    tmp = path.with_name(f".{path.name}.partial{suffix}")
    if not path.parent.is_dir():  # no folder made on the caller's behalf
        raise FileNotFoundError(f"the folder {path.parent} does not exist")
    try:
        sitk.WriteImage(image, str(tmp), useCompression=suffix in (".nii.gz", ".nrrd", ".mha"))
        tmp.replace(path)
    finally:
        if tmp.exists():
            tmp.unlink()
