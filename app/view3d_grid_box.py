"""A box of the display grid and the VTK surfaces made from it, for the 3D view's bone surfaces.

One construction serves the whole-volume bone surface (:mod:`app.view3d_actors`, the whole grid strided to
``SURFACE_MAX_DIM``) and the close-up around the point looked at (:mod:`app.view3d_closeup`, a box at the
data's own spacing): a :class:`GridBox` of display-grid indices sampled every ``step`` voxels, its
vtkImageData, the iso-surface of that image, and a surface cut outside a box. Keeping them in one place
keeps both surfaces on the same voxel centres (``index_to_lps``), so the fine surface lies where the coarse
one and the needles say the bone is.

Frames and units: LPS mm (VTK world axes +x, +y, +z); indices ``[z, y, x]`` of the display grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from app.display_geometry import DisplayVolume

__all__ = ["Bounds", "GridBox", "cut_out_box", "grid_box", "image_data_from_box", "iso_surface"]

Bounds = tuple[float, float, float, float, float, float]


@dataclass(frozen=True)
class GridBox:
    """A box of the display grid sampled every ``step`` voxels: inclusive ``[z, y, x]`` index corners (the
    last sampled voxel), the stride, its LPS extent and the point it was asked around.

    ``bounds_lps`` is ``(xmin, xmax, ymin, ymax, zmin, zmax)`` (mm) of the voxel centres sampled, which
    is where a close-up surface ends and the coarse one is cut.
    """

    lo_index: tuple[int, int, int]
    hi_index: tuple[int, int, int]
    step: int
    bounds_lps: Bounds
    centre_lps: tuple[float, float, float]

    @property
    def shape(self) -> tuple[int, int, int]:
        """Samples along ``[z, y, x]``."""
        n = [(h - lo) // self.step + 1 for lo, h in zip(self.lo_index, self.hi_index, strict=True)]
        return (n[0], n[1], n[2])


def grid_box(
    display: DisplayVolume,
    lo_index: npt.ArrayLike,
    hi_index: npt.ArrayLike,
    step: int,
    centre_lps: npt.ArrayLike | None = None,
) -> GridBox:
    """The box from ``lo_index`` to ``hi_index`` (inclusive, ``[z, y, x]``, inside the grid) sampled every
    ``step`` voxels; ``centre_lps`` defaults to the middle of its extent."""
    lo = np.asarray(lo_index, dtype=int)
    hi = np.asarray(hi_index, dtype=int)
    if step < 1 or np.any(lo < 0) or np.any(hi < lo) or np.any(hi >= np.asarray(display.shape)):
        raise ValueError(
            f"Arguments lo_index {tuple(lo)}, hi_index {tuple(hi)}, step {step}: not a box of the grid"
        )
    last = lo + ((hi - lo) // step) * step
    corners = display.volume.index_to_lps_points(np.array([lo, last], dtype=np.float64))
    low, high = corners.min(axis=0), corners.max(axis=0)
    bounds = (float(low[0]), float(high[0]), float(low[1]), float(high[1]), float(low[2]), float(high[2]))
    centre = (low + high) / 2.0 if centre_lps is None else np.asarray(centre_lps, dtype=np.float64)
    return GridBox(
        (int(lo[0]), int(lo[1]), int(lo[2])),
        (int(last[0]), int(last[1]), int(last[2])),
        int(step),
        bounds,
        (float(centre[0]), float(centre[1]), float(centre[2])),
    )


def image_data_from_box(display: DisplayVolume, box: GridBox, dtype: Any = None) -> Any:
    """A vtkImageData in LPS mm (axes +x, +y, +z) of the display grid's samples in ``box``.

    The one construction for the whole-volume surface (``app.view3d_actors.image_data_from_display``)
    and the close-up: the display grid's slice axis runs inferior, so the slices are reversed and the
    origin is the box's most inferior sampled voxel centre; points sit at voxel centres (``index_to_lps``).
    """
    from vtkmodules.util.numpy_support import numpy_to_vtk
    from vtkmodules.vtkCommonDataModel import vtkImageData

    (z0, y0, x0), (z1, y1, x1), s = box.lo_index, box.hi_index, box.step
    sub = display.volume.array[z0 : z1 + 1 : s, y0 : y1 + 1 : s, x0 : x1 + 1 : s][::-1]
    if dtype is not None:
        sub = sub.astype(dtype)
    nz, ny, nx = sub.shape
    origin = display.volume.index_to_lps_points([float(z1), float(y0), float(x0)])
    sz, sy, sx = display.spacing_mm
    image = vtkImageData()
    image.SetDimensions(nx, ny, nz)
    image.SetSpacing(sx * s, sy * s, sz * s)
    image.SetOrigin(*origin.tolist())
    image.GetPointData().SetScalars(numpy_to_vtk(np.ascontiguousarray(sub).ravel(), deep=True))
    return image


def iso_surface(image: Any, threshold: float) -> Any:
    """Iso-surface (vtkPolyData with normals) of a vtkImageData at ``threshold`` (vtkFlyingEdges3D)."""
    from vtkmodules.vtkCommonCore import vtkSMPTools
    from vtkmodules.vtkFiltersCore import vtkFlyingEdges3D

    if vtkSMPTools.GetBackend() != "STDThread":  # the pip wheel's filters run single-threaded otherwise
        vtkSMPTools.SetBackend("STDThread")
    edges = vtkFlyingEdges3D()
    edges.SetInputData(image)
    edges.SetValue(0, float(threshold))
    edges.ComputeNormalsOn()
    edges.Update()
    return edges.GetOutput()


def cut_out_box(poly: Any, bounds_lps: Bounds) -> Any:
    """The part of a surface (vtkPolyData) outside an axis-aligned LPS box, cut along its faces."""
    from vtkmodules.vtkCommonDataModel import vtkBox
    from vtkmodules.vtkFiltersCore import vtkClipPolyData

    box = vtkBox()
    box.SetBounds(*bounds_lps)
    clip = vtkClipPolyData()
    clip.SetInputData(poly)
    clip.SetClipFunction(box)
    clip.InsideOutOff()  # keep where the box function is positive: outside
    clip.Update()
    return clip.GetOutput()
