"""A pedicle cross-section's bone split into blobs: one blob the pedicle, others the bones pressed against it.

In each cross-section (:mod:`imaging.vertebra_pedicle_sections`: a plane sampled every
:data:`SECTION_STEP_MM` along ``u``, patient left, and ``v``, superior) the bone on the pedicle's side of
the canal is split into blobs: blobs side by side joined by a waist are split (watershed on the distance
map; pieces one above the other are one pedicle, :func:`split_plane`), side-by-side cortical rings are kept
apart (a rib neck pressed against a thoracic pedicle keeps its own cortex, :func:`keep_rings`), and the
split is carried from section to section, since a neighbour that touches the pedicle in one section is
often apart from it in the one nearer the body. Lengths mm, areas mm^2; arrays are ``[u, v]`` samples.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import ndimage
from skimage import measure
from skimage.morphology import h_maxima
from skimage.segmentation import watershed

__all__ = ["MIN_SECTION_MM2", "SECTION_STEP_MM", "keep_rings", "merge_through", "split_pieces", "split_plane"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: in-plane sampling of the cross-sections (mm)
SECTION_STEP_MM = 0.5
#: smallest pedicle cross-section accepted (mm^2)
MIN_SECTION_MM2 = 8.0
#: a section's blobs are split where their thickness falls this much below each one's core (mm): a rib
#: head or neck, or an articular process, touches the pedicle through a joint the CT does not resolve
SPLIT_DEPTH_MM = 0.75
#: a blob's core is at least this far from its edge (mm): the narrowest pedicles are about 3.4 mm wide
#: (CLINICAL.md safe-zone widths)
SPLIT_CORE_MM = 1.0
#: a section's blob is reduced to its filled cortical rings when they cover at least this fraction of it
RING_COVER = 0.7
#: ... and when pieces of it lie side by side, their centres this far apart across (mm): a rib neck
#: lies lateral to the pedicle, the halves of a pedicle whose cortex the scan blurs one above the other
RING_APART_MM = 5.0


def keep_rings(plane: BoolArray, fraction: FloatArray, u_mm: FloatArray) -> BoolArray:
    """A section's bone with side-by-side blobs split along their cortical rings.

    A rib neck touching the pedicle laterally keeps its own cortex: the bridge between them is bone
    only by partial volume, outside both filled rings. A blob is reduced to its filled rings when they
    cover at least ``RING_COVER`` of it and hold two or more pieces of a pedicle's least section whose
    centres lie ``RING_APART_MM`` apart mediolaterally; otherwise (a cortex too thin or blurred for the
    scan to show it whole, which breaks a pedicle into pieces one above the other) it is kept whole.
    """
    rings = ndimage.binary_fill_holes(fraction > 0.5) & plane
    labels, n = ndimage.label(plane)
    out = plane.copy()
    min_px = MIN_SECTION_MM2 / SECTION_STEP_MM**2
    for lab in range(1, n + 1):
        blob = labels == lab
        inner = rings & blob
        if inner.sum() < RING_COVER * blob.sum():
            continue
        pieces, m = ndimage.label(inner)
        if m < 2:
            continue
        index = np.arange(1, m + 1)
        sizes = ndimage.sum_labels(inner, pieces, index)
        u_c = np.asarray(ndimage.mean(u_mm, pieces, index))[sizes >= min_px]
        if len(u_c) >= 2 and float(u_c.max() - u_c.min()) >= RING_APART_MM:
            out[blob & ~inner] = False
    return out


def split_plane(
    plane: BoolArray,
    previous: npt.NDArray[np.int32] | None,
    hidden: BoolArray | None = None,
    beyond: BoolArray | None = None,
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64]]:
    """Label a section's bone, keeping apart the blobs that the previous section kept apart.

    A rib neck or an articular process often touches the pedicle in a section through a joint the CT
    does not resolve, while a section nearer the body shows them apart. Blobs are therefore carried
    from section to section: the previous section's labels seed a watershed on the distance map of
    this one, and bone they do not reach is new (labelled afresh). The first section is split where
    its blobs' thickness has a waist (maxima of the distance map at least ``SPLIT_DEPTH_MM`` above
    the saddle between them), unless the pieces lie one above the other (:func:`_merge_stacked`;
    ``beyond`` is the bone above or below the pedicle's band of heights). A label whose bone falls
    apart into pieces in this section is split into them (bone apart is apart), but blobs joined
    through ``hidden`` bone (bone under the body's mask, in the sections nearer the body than its
    posterior corners) are one blob that the mask cut: they are merged. Returns the labels and the
    label values present.
    """
    dist = ndimage.distance_transform_edt(plane) * SECTION_STEP_MM
    if previous is not None:
        markers = np.where(plane & ndimage.binary_erosion(previous > 0), previous, 0)
        flooded = watershed(-dist, markers, mask=plane)  # type: ignore[no-untyped-call]
        labels = np.asarray(flooded, dtype=np.int32)
        fresh, _ = ndimage.label(plane & (labels == 0))
        start = int(previous.max()) + 1
        labels = np.where(fresh > 0, fresh + start - 1, labels).astype(np.int32)
    else:
        peaks = h_maxima(dist, SPLIT_DEPTH_MM) > 0  # type: ignore[no-untyped-call]
        markers, n = ndimage.label(peaks & (dist > SPLIT_CORE_MM), structure=np.ones((3, 3), dtype=bool))
        labels = np.asarray(markers, dtype=np.int32)
        if n:
            flooded = watershed(-dist, markers, mask=plane)  # type: ignore[no-untyped-call]
            labels = _merge_stacked(np.asarray(flooded, dtype=np.int32), beyond)
    start = max(int(labels.max()), 0 if previous is None else int(previous.max())) + 1
    labels = split_pieces(labels, start=start)
    if hidden is not None and hidden.any():
        labels = merge_through(labels, hidden)
    present = np.unique(labels)
    return labels, present[present > 0].astype(np.int64)


def _merge_stacked(labels: npt.NDArray[np.int32], beyond: BoolArray | None = None) -> npt.NDArray[np.int32]:
    """Touching labels one above the other (centres less than ``RING_APART_MM`` apart across, along the
    plane's first axis, ``u``) merged into one, the lowest label value; a label touching ``beyond`` (bone
    above or below the pedicle's band of heights) is left apart.

    The waist split keeps apart what lies side by side: a rib head or neck lateral to the pedicle. A
    pedicle's own oval section, slightly pinched at mid-height, also has two maxima of thickness, one
    above the other; split there, the pedicle was traced as its lower or upper half only (case1 right,
    one of five clicks: its centre 4 mm low, and the width measured across that half, 6.95 mm for the
    8.6 the images show). Pieces one above the
    other at one lateral position are one pedicle, as in :func:`keep_rings`. But a piece that goes on
    past the band's top or bottom is an articular process or the lamina reaching the pedicle's heights,
    not half of its oval (abdomen L4 right, 3 mm voxels: bone down to the band's foot under the pedicle,
    merged with it the pedicle was 22 mm tall and its centre 4 mm low).
    """
    index = np.unique(labels)
    index = index[index > 0]
    if len(index) < 2:
        return labels
    cut_by_band: set[int] = set()
    if beyond is not None and beyond.any():
        rim = ndimage.binary_dilation(beyond, structure=np.ones((3, 3), dtype=bool))
        cut_by_band = {int(k) for k in np.unique(labels[rim & (labels > 0)])}
    rows = np.indices(labels.shape)[0].astype(np.float64) * SECTION_STEP_MM
    u_c = dict(zip(index.tolist(), np.asarray(ndimage.mean(rows, labels, index)).tolist(), strict=True))
    parent = {int(k): int(k) for k in index}

    def root(k: int) -> int:
        while parent[k] != k:
            k = parent[k]
        return k

    for axis in (0, 1):
        here = np.moveaxis(labels, axis, 0)
        a, b = here[:-1].ravel(), here[1:].ravel()
        touching = (a > 0) & (b > 0) & (a != b)
        for x, y in set(zip(a[touching].tolist(), b[touching].tolist(), strict=True)):
            if abs(u_c[x] - u_c[y]) < RING_APART_MM and not {x, y} & cut_by_band:
                rx, ry = root(x), root(y)
                parent[max(rx, ry)] = min(rx, ry)
    lut = np.zeros(int(labels.max()) + 1, dtype=np.int32)
    for k in parent:
        lut[k] = root(k)
    return lut[labels]


def merge_through(labels: npt.NDArray[np.int32], hidden: BoolArray) -> npt.NDArray[np.int32]:
    """Labels that touch one piece of ``hidden`` bone merged into the smallest of them (labels that
    merely touch each other stay apart)."""
    pieces, n = ndimage.label(hidden)
    out = labels.copy()
    for k in range(1, n + 1):
        rim = ndimage.binary_dilation(pieces == k, structure=np.ones((3, 3), dtype=bool))
        touching = np.unique(out[rim & (out > 0)])
        if len(touching) > 1:
            out[np.isin(out, touching)] = touching[0]
    return out


def split_pieces(labels: npt.NDArray[np.int32], *, start: int) -> npt.NDArray[np.int32]:
    """Every label's disconnected pieces but its largest relabelled from ``start`` on."""
    pieces = np.asarray(measure.label(labels, background=0, connectivity=1), dtype=np.int64)  # type: ignore[no-untyped-call]
    n = int(pieces.max())
    if n == 0:
        return labels
    idx = np.arange(1, n + 1)
    owner = np.asarray(ndimage.maximum(labels, pieces, idx), dtype=np.int64)  # one label per piece
    if len(np.unique(owner)) == n:
        return labels
    size = np.asarray(ndimage.sum_labels(np.ones_like(labels), pieces, idx), dtype=np.int64)
    out = labels.copy()
    for lab in np.unique(owner):
        mine = np.flatnonzero(owner == lab)
        for k in mine[np.argsort(-size[mine])][1:]:
            out[pieces == k + 1] = start
            start += 1
    return out
