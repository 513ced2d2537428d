"""Straight segments drawn on the slice views and in the 3D view: needles, antennas and pedicle axes.

* :func:`paint_segment`: the part of a segment within a slab of a SliceView's plane as a solid band, the
  parts beyond as thin dashed lines (their projection); broken into dashes for a part outside the
  scanned image;
* :func:`split_at_image`: a segment cut where it leaves the scanned image;
* :func:`tube_source` and :func:`add_actor`: a capped tube in the View3D renderer;
* :func:`view_plane` and :func:`pixels_per_mm`: a SliceView's slice plane and its screen scale.

Positions LPS mm; sizes mm; screen sizes follow the views' true pixel spacing. Split from
:mod:`app.planning_ui.needle_views` so that the pedicle axes (:mod:`app.planning_ui.pedicle_axes`) are
drawn by the needles' own machinery.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPen

from app.display_geometry import VIEW_AXES
from app.planning_ui.geometry import needle_in_plane

FloatArray = npt.NDArray[np.float64]
#: dash and gap lengths (in pen widths, Qt's QPen.setDashPattern) of the part of a segment outside the
#: scanned image: a broken band in the view's plane, 2 px dashes beyond it (the thin dashed lines of the
#: parts out of the plane have Qt's 4:2)
NEAR_OUTSIDE_DASHES = [2.0, 1.0]
FAR_OUTSIDE_DASHES = [2.0, 2.0]


def view_plane(view: Any) -> tuple[FloatArray, FloatArray, float]:
    """The plane of a SliceView's current slice: ``(point_lps, unit normal_lps, slice spacing mm)``."""
    d = view.state.display
    fixed = VIEW_AXES[view.view][0]
    point = d.pixel_to_lps(view.view, float(view.slice_index()), 0.0, 0.0)
    normal = d.volume.index_to_lps[:3, fixed].astype(np.float64)
    spacing = float(np.linalg.norm(normal))
    return point, normal / spacing, spacing


def pixels_per_mm(view: Any) -> float:
    """Screen pixels per mm of a SliceView (true aspect, so one figure)."""
    d = view.state.display
    _, cols = d.slice_array(view.view, 0).shape
    _, col_mm = d.pixel_spacing_mm(view.view)
    return float(view.image_rect().width() / cols / col_mm)


def paint_segment(  # noqa: PLR0917 - a segment, its plane and its pen
    view: Any,
    painter: QPainter,
    plane: tuple[FloatArray, FloatArray, float],
    start: FloatArray,
    end: FloatArray,
    colour: QColor,
    near_width_px: float,
    *,
    broken: bool = False,
) -> None:
    """A straight segment (LPS) on a SliceView: the part within ``plane``'s slab (point, unit normal, half
    thickness mm) as a solid band ``near_width_px`` wide, the parts beyond as thin dashed lines (their
    projection). Needles and pedicle axes are drawn by it. ``broken``: the band and the lines broken into
    dashes (the lines 2 px wide), for a part that lies outside the scanned image."""
    point, normal, slab = plane
    part = needle_in_plane(start, end, point, normal, slab)
    for a, b in part.far:
        pen = QPen(colour, 2.0 if broken else 1.0, Qt.PenStyle.DashLine)
        if broken:
            pen.setDashPattern(FAR_OUTSIDE_DASHES)
        painter.setPen(pen)
        painter.drawLine(view.lps_to_widget(a), view.lps_to_widget(b))
    if part.near is not None:
        band = QColor(colour)
        band.setAlpha(200)
        pen = QPen(band, near_width_px, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap)
        if broken:
            pen.setDashPattern(NEAR_OUTSIDE_DASHES)
        painter.setPen(pen)
        painter.drawLine(view.lps_to_widget(part.near[0]), view.lps_to_widget(part.near[1]))


def split_at_image(
    volume: Any, start: FloatArray, end: FloatArray
) -> tuple[list[tuple[FloatArray, FloatArray]], list[tuple[FloatArray, FloatArray]], list[FloatArray]]:
    """A straight segment (LPS) cut where it leaves the scanned image (the box of ``volume``'s voxels, to
    their outer faces, as :func:`planning.grid_sampling.inside_image_fractions` clips it): ``(inside parts,
    outside parts, the points where it crosses the image's edge)``."""
    from planning.grid_sampling import inside_image_fractions

    start, end = np.asarray(start, dtype=np.float64), np.asarray(end, dtype=np.float64)
    inside = inside_image_fractions(volume, start, end)
    if inside is None:
        return [], [(start, end)], []
    t_in, t_out = inside
    at_in, at_out = start + t_in * (end - start), start + t_out * (end - start)
    outside: list[tuple[FloatArray, FloatArray]] = []
    edges: list[FloatArray] = []
    if t_in > 0.0:
        outside.append((start, at_in))
        edges.append(at_in)
    if t_out < 1.0:
        outside.append((at_out, end))
        edges.append(at_out)
    return [(at_in, at_out)], outside, edges


def point_outside_image(volume: Any, point_lps: FloatArray) -> bool:
    """True when an LPS point lies outside the scanned image (the box of ``volume``'s voxels to their outer
    faces: the box :func:`split_at_image` cuts at)."""
    idx = volume.lps_to_index_points(np.asarray(point_lps, dtype=np.float64).reshape(1, 3))[0]
    return bool(np.any(idx < -0.5) or np.any(idx > np.asarray(volume.shape) - 0.5))


def tube_source(start: FloatArray, end: FloatArray, diameter_mm: float) -> tuple[Any, Any]:
    """A capped VTK tube of ``diameter_mm`` from ``start`` to ``end`` (LPS): ``(line source, tube)``
    (needles, antennas and pedicle axes in the 3D view)."""
    from vtkmodules.vtkFiltersCore import vtkTubeFilter
    from vtkmodules.vtkFiltersSources import vtkLineSource

    line = vtkLineSource()
    line.SetPoint1(*np.asarray(start, dtype=np.float64).tolist())
    line.SetPoint2(*np.asarray(end, dtype=np.float64).tolist())
    tube = vtkTubeFilter()
    tube.SetInputConnection(line.GetOutputPort())
    tube.SetRadius(diameter_mm / 2.0)
    tube.SetNumberOfSides(16)
    tube.CappingOn()
    return line, tube


def add_actor(  # noqa: PLR0917 - the pieces of one actor
    renderer: Any,
    source: Any,
    rgb: tuple[float, float, float],
    opacity: float,
    actors: list[Any],
    keep: list[Any],
) -> Any:
    """An actor of ``source``'s output in ``renderer``; appended to ``actors``, its pipeline to ``keep``."""
    from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper

    mapper = vtkPolyDataMapper()
    mapper.SetInputConnection(source.GetOutputPort())
    actor = vtkActor()
    actor.SetMapper(mapper)
    actor.GetProperty().SetColor(*rgb)
    actor.GetProperty().SetOpacity(opacity)
    renderer.AddActor(actor)
    actors.append(actor)
    keep.append(source)
    return actor
