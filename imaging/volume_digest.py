"""A digest of a volume's voxels, so a saved case can tell whether the images it is reopened on are the
ones it was planned on (:mod:`planning.image_identity`).

SHA-256 of the HU array's bytes with its shape and type: ~0.4 s for 400 x 512 x 512 int16 on the
workstation (measured session 27 under load 6). Only a case needs it, so :func:`imaging.load.load_volume`
does not compute it (the command line's segment / anatomy runs do not pay for it); the window's loading
worker calls :func:`keep_digest` in its thread, so that making or checking a case does not freeze the
window. It is kept in ``SeriesMetadata.extra[DIGEST_KEY]`` as ``(shape, digest)``: a crop shares its
parent's metadata, and the shape says which grid the digest belongs to.
"""

from __future__ import annotations

import hashlib

import numpy as np

from imaging.volume import Volume

__all__ = ["DIGEST_KEY", "keep_digest", "volume_digest", "voxel_digest"]

DIGEST_KEY = "voxel_digest"


def voxel_digest(array: np.ndarray) -> str:
    """``"sha256:<hex>"`` of the array's shape, type and voxels (C order)."""
    data = np.ascontiguousarray(array)
    h = hashlib.sha256(f"{data.shape}|{data.dtype.str}|".encode())
    h.update(data.data.cast("B"))
    return f"sha256:{h.hexdigest()}"


def keep_digest(volume: Volume) -> None:
    """Compute the volume's digest now and keep it in its metadata for :func:`volume_digest`."""
    volume.metadata.extra[DIGEST_KEY] = (volume.shape, voxel_digest(volume.array))


def volume_digest(volume: Volume) -> str:
    """The digest the loader kept for this volume's grid, else computed now (not kept: the metadata may
    be shared with a crop)."""
    kept = volume.metadata.extra.get(DIGEST_KEY)
    if isinstance(kept, tuple) and len(kept) == 2 and tuple(kept[0]) == tuple(volume.shape):
        return str(kept[1])
    return voxel_digest(volume.array)
