"""The 3D view's actors built from the display grid: the coarse bone surface's image, the CT's volume
rendering, the surfaces of mask layers, and the crosshair's marker.

World coordinates are LPS mm (axes +x, +y, +z), placed from the volume's geometry. ``v`` is the view's
table of VTK classes (:func:`vtk_classes`), so VTK is imported once, when a 3D view is made.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from app.display_geometry import DisplayVolume
from app.view3d_grid_box import grid_box, image_data_from_box, iso_surface

#: surfaces are extracted on a grid with at most this many voxels along any axis
SURFACE_MAX_DIM = 192
#: volume rendering grid limit (CPU ray cast stays near 0.1 s a frame on llvmpipe)
VOLUME_MAX_DIM = 256
#: the bone surface's colour (ivory)
BONE_RGB = (0.93, 0.89, 0.80)


def vtk_classes() -> dict[str, Any]:
    """Import the VTK classes the view needs, with the rendering backends registered explicitly."""
    import vtkmodules.vtkInteractionStyle
    import vtkmodules.vtkRenderingFreeType
    import vtkmodules.vtkRenderingOpenGL2
    from vtkmodules import (
        vtkCommonDataModel,
        vtkFiltersCore,
        vtkFiltersSources,
        vtkRenderingCore,
        vtkRenderingVolumeOpenGL2,
    )
    from vtkmodules.vtkCommonCore import vtkSMPTools
    from vtkmodules.vtkRenderingVolume import vtkFixedPointVolumeRayCastMapper

    vtkSMPTools.SetBackend("STDThread")
    core = vtkRenderingCore
    return {
        "vtkPiecewiseFunction": vtkCommonDataModel.vtkPiecewiseFunction,
        "vtkFlyingEdges3D": vtkFiltersCore.vtkFlyingEdges3D,
        "vtkSphereSource": vtkFiltersSources.vtkSphereSource,
        "vtkInteractorStyleTrackballCamera": vtkmodules.vtkInteractionStyle.vtkInteractorStyleTrackballCamera,
        "vtkActor": core.vtkActor,
        "vtkColorTransferFunction": core.vtkColorTransferFunction,
        "vtkPolyDataMapper": core.vtkPolyDataMapper,
        "vtkRenderer": core.vtkRenderer,
        "vtkVolume": core.vtkVolume,
        "vtkVolumeProperty": core.vtkVolumeProperty,
        "vtkWindowToImageFilter": core.vtkWindowToImageFilter,
        "vtkFixedPointVolumeRayCastMapper": vtkFixedPointVolumeRayCastMapper,
        "vtkSmartVolumeMapper": vtkRenderingVolumeOpenGL2.vtkSmartVolumeMapper,
        "backends": (vtkmodules.vtkRenderingFreeType, vtkmodules.vtkRenderingOpenGL2),
    }


def image_data_from_display(display: DisplayVolume, max_dim: int, dtype: Any = None) -> Any:
    """A vtkImageData in LPS mm (axes +x, +y, +z) from the display grid, downsampled by striding."""
    step = surface_step(display, max_dim)
    whole = grid_box(display, (0, 0, 0), tuple(n - 1 for n in display.shape), step)
    return image_data_from_box(display, whole, dtype)


def surface_step(display: DisplayVolume, max_dim: int) -> int:
    """Stride (voxels) that fits the display grid in ``max_dim`` samples along its longest axis."""
    return max(1, int(np.ceil(max(display.shape) / max_dim)))


def extract_surface(image: Any, threshold: float) -> Any:
    """Iso-surface (vtkPolyData with normals) of an image at ``threshold``."""
    return iso_surface(image, threshold)


def surface_actor(v: dict[str, Any], poly: Any, rgb: tuple[float, float, float]) -> Any:
    """An opaque actor of a surface in one colour (its scalars ignored)."""
    mapper = v["vtkPolyDataMapper"]()
    mapper.SetInputData(poly)
    mapper.ScalarVisibilityOff()
    actor = v["vtkActor"]()
    actor.SetMapper(mapper)
    actor.GetProperty().SetColor(*rgb)
    return actor


def crosshair_marker(v: dict[str, Any]) -> tuple[Any, Any]:
    """The crosshair's marker: a yellow ball 3 mm in radius (its source, to move it; its actor, hidden
    until there is a volume)."""
    sphere = v["vtkSphereSource"]()
    sphere.SetRadius(3.0)
    sphere.SetThetaResolution(16)
    sphere.SetPhiResolution(16)
    mapper = v["vtkPolyDataMapper"]()
    mapper.SetInputConnection(sphere.GetOutputPort())
    actor = v["vtkActor"]()
    actor.SetMapper(mapper)
    actor.GetProperty().SetColor(1.0, 0.85, 0.2)
    actor.VisibilityOff()
    return sphere, actor


def volume_actor(v: dict[str, Any], display: DisplayVolume, *, software_gl: bool) -> Any:
    """The CT's volume rendering (bone ivory to white, soft tissue transparent) on a grid of at most
    ``VOLUME_MAX_DIM`` samples an axis; the CPU ray-cast mapper on software OpenGL."""
    image = image_data_from_display(display, VOLUME_MAX_DIM, np.int16)
    if software_gl:
        mapper = v["vtkFixedPointVolumeRayCastMapper"]()
        mapper.SetImageSampleDistance(1.0)
        mapper.AutoAdjustSampleDistancesOff()
    else:
        mapper = v["vtkSmartVolumeMapper"]()
    mapper.SetInputData(image)
    colour = v["vtkColorTransferFunction"]()
    colour.AddRGBPoint(-200, 0.0, 0.0, 0.0)
    colour.AddRGBPoint(150, 0.75, 0.45, 0.35)
    colour.AddRGBPoint(400, 0.95, 0.9, 0.8)
    colour.AddRGBPoint(1500, 1.0, 1.0, 1.0)
    opacity = v["vtkPiecewiseFunction"]()
    opacity.AddPoint(100, 0.0)
    opacity.AddPoint(250, 0.15)
    opacity.AddPoint(1000, 0.6)
    prop = v["vtkVolumeProperty"]()
    prop.SetColor(colour)
    prop.SetScalarOpacity(opacity)
    prop.ShadeOn()
    prop.SetInterpolationTypeToLinear()
    actor = v["vtkVolume"]()
    actor.SetMapper(mapper)
    actor.SetProperty(prop)
    return actor


def mask_surface(display: DisplayVolume, box: npt.NDArray[np.bool_], off: tuple[int, int, int]) -> Any:
    """Surface of a display-grid mask box at ``off`` (padded so it closes), in LPS mm; None if empty."""
    if not box.any():
        return None
    from vtkmodules.util.numpy_support import numpy_to_vtk
    from vtkmodules.vtkCommonDataModel import vtkImageData

    padded = np.pad(box.astype(np.uint8), 1)[::-1]  # z index inferior -> superior
    nz, ny, nx = padded.shape
    sz, sy, sx = display.spacing_mm
    top = display.volume.index_to_lps_points([off[0] - 1 + nz - 1, off[1] - 1, off[2] - 1])
    image = vtkImageData()
    image.SetDimensions(nx, ny, nz)
    image.SetSpacing(sx, sy, sz)
    image.SetOrigin(*top.tolist())
    image.GetPointData().SetScalars(numpy_to_vtk(np.ascontiguousarray(padded).ravel(), deep=True))
    return extract_surface(image, 0.5)
