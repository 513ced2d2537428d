"""Needles drawn at their real outer diameter: over the 2D views, in the 3D view, and along the needle.

* 2D overlay (:func:`paint_needles`): the part of each needle whose axis lies within its radius plus
  half a slice of the view plane is a band as wide as the needle's outer diameter (the projection of
  the cylinder); the parts beyond are thin dashed lines (their projection). The antenna beyond the
  tip is drawn at its own diameter. Entry and tip handles are circles.
* The part of a needle or antenna outside the scanned image (where what it crosses is not seen) is
  a broken amber band on the 2D views, with a bar across the needle where the image ends, and amber dashes in
  3D (:func:`app.planning_ui.segment_drawing.split_at_image`); along the needle, a broken amber band (in
  plane) and a broken amber circle (probe's eye at a depth outside the image).
* 3D (:class:`Needle3DActors`): a tube of the needle's outer radius in the View3D renderer.
* Along the needle (:class:`NeedleResliceView`): an in-plane reslice (plane of the needle and the
  patient's superior axis) and a probe's-eye reslice perpendicular to the needle at a chosen depth,
  sampled with ``scipy.ndimage.map_coordinates`` from the planning volume (linear, HU), with the
  needle, the zone outlines and the canal drawn on them.

Positions LPS mm; sizes mm; screen sizes follow the views' true pixel spacing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.display_geometry import VIEW_AXES, apply_window
from app.planning_ui.geometry import needle_frame, zone_section
from app.planning_ui.reslice_caption import (
    CAPTION_COLOUR,
    LETTER_COLOUR,
    caption_box,
    caption_font,
    caption_lines,
    letter_font,
)
from app.planning_ui.segment_drawing import (
    NEAR_OUTSIDE_DASHES,
    add_actor,
    paint_segment,
    pixels_per_mm,
    point_outside_image,
    split_at_image,
    tube_source,
    view_plane,
)
from planning.model import NEEDLE_OUTER_DIAMETER_MM, LayerKind, Trajectory
from planning.needles import ANTENNA_OUTER_DIAMETER_MM

if TYPE_CHECKING:
    from app.planning_ui.controller import PlanningController

FloatArray = npt.NDArray[np.float64]

NEEDLE_COLOUR = QColor("#00e5ff")
SELECTED_COLOUR = QColor("#ffffff")
ANTENNA_COLOUR = QColor("#ff9f1c")
ZONE_COLOUR = QColor(255, 120, 200)
CANAL_COLOUR = QColor(240, 200, 40)
#: the part of a needle or antenna outside the scanned image (the theme's amber, app.theme.AMBER): drawn
#: as a broken band on the 2D views, in dashes in 3D
OUTSIDE_IMAGE_COLOUR = QColor("#ffb347")
OUTSIDE_IMAGE_RGB = (1.0, 0.70, 0.28)
#: the 3D dashes of that part (mm)
DASH_MM = 3.0
GAP_MM = 2.0
#: half the length (px) of the bar drawn across a needle where it leaves the scanned image
EDGE_BAR_HALF_PX = 7.0
#: handle radius on screen (px) and the pick distance for dragging
HANDLE_RADIUS_PX = 6.0
PICK_DISTANCE_PX = 10.0


def antenna_diameter_mm(traj: Trajectory) -> float:
    """Outer diameter of the trajectory's antenna (CLINICAL.md, 1.6 mm)."""
    return float(ANTENNA_OUTER_DIAMETER_MM.get(traj.antenna_gauge, ANTENNA_OUTER_DIAMETER_MM[16]))


def paint_needles(controller: PlanningController, view: Any, painter: QPainter) -> None:
    """Overlay painter: every trajectory of the case on a SliceView, at its real diameter."""
    if view.state.display is None or controller.volume is None:
        return
    point, normal, spacing = view_plane(view)
    scale = pixels_per_mm(view)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    for traj in controller.case.trajectories.values():
        selected = traj.name == controller.selected
        colour = SELECTED_COLOUR if selected else NEEDLE_COLOUR
        entry = np.asarray(traj.entry_lps)
        tip = np.asarray(traj.target_lps)
        d = tip - entry
        d /= np.linalg.norm(d)
        antenna_tip = tip + traj.antenna_extension_mm * d
        for start, end, diameter, col in (
            (entry, tip, NEEDLE_OUTER_DIAMETER_MM[traj.needle_gauge], colour),
            (tip, antenna_tip, antenna_diameter_mm(traj), ANTENNA_COLOUR),
        ):
            if np.allclose(start, end):
                continue
            plane = (point, normal, diameter / 2.0 + spacing / 2.0)
            width = max(1.0, diameter * scale)
            inside, outside, edges = split_at_image(controller.volume, start, end)
            for a, b in inside:
                paint_segment(view, painter, plane, a, b, col, width)
            # the part outside the scanned image: broken amber, with a bar across it where the image ends
            for a, b in outside:
                paint_segment(view, painter, plane, a, b, OUTSIDE_IMAGE_COLOUR, width, broken=True)
            for at in edges:
                _paint_edge_bar(view, painter, at, end - start)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for p, label in ((entry, "E"), (tip, "T")):
            w = view.lps_to_widget(p)
            in_slab = abs(float((p - point) @ normal)) <= spacing / 2.0 + 1e-6
            painter.setPen(
                QPen(
                    colour, 2.0 if in_slab else 1.0, Qt.PenStyle.SolidLine if in_slab else Qt.PenStyle.DotLine
                )
            )
            painter.drawEllipse(w, HANDLE_RADIUS_PX, HANDLE_RADIUS_PX)
            if selected:
                painter.setFont(QFont("DejaVu Sans", 8))
                painter.drawText(w + QPointF(HANDLE_RADIUS_PX + 2, -HANDLE_RADIUS_PX), label)


def dashes(start: FloatArray, end: FloatArray) -> list[tuple[FloatArray, FloatArray]]:
    """A segment (LPS) as dashes of DASH_MM with gaps of GAP_MM, from ``start``; the last dash ends at
    ``end`` (or is shorter)."""
    length = float(np.linalg.norm(end - start))
    if length <= 0.0:
        return []
    unit = (end - start) / length
    out = []
    for s0 in np.arange(0.0, length, DASH_MM + GAP_MM):
        s1 = min(length, float(s0) + DASH_MM)
        out.append((start + float(s0) * unit, start + s1 * unit))
    return out


def _paint_edge_bar(view: Any, painter: QPainter, at: FloatArray, direction: FloatArray) -> None:
    """A short bar across the needle's projection where the needle leaves the scanned image."""
    p = view.lps_to_widget(at)
    q = view.lps_to_widget(at + direction / float(np.linalg.norm(direction)))
    along = np.array([q.x() - p.x(), q.y() - p.y()])
    norm = float(np.linalg.norm(along))
    if norm < 1e-6:  # the needle runs along the view's normal: its projection is a point
        return
    across = np.array([-along[1], along[0]]) / norm * EDGE_BAR_HALF_PX
    painter.setPen(QPen(OUTSIDE_IMAGE_COLOUR, 2.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
    painter.drawLine(p + QPointF(*across), p - QPointF(*across))


class Needle3DActors:
    """Tubes (needle at its outer radius, antenna) and zone spheroids in the View3D renderer.

    The 3D view exposes ``renderer`` and ``schedule_render()``; nothing else of it is used.
    """

    def __init__(self, view3d: Any) -> None:
        self.view3d = view3d
        self.actors: list[Any] = []
        self._keep: list[Any] = []

    def update(self, controller: PlanningController) -> None:
        """Rebuild every actor from the case (a few tubes: cheap)."""
        renderer = getattr(self.view3d, "renderer", None)
        if renderer is None:
            return
        from vtkmodules.vtkCommonTransforms import vtkTransform
        from vtkmodules.vtkFiltersGeneral import vtkTransformPolyDataFilter
        from vtkmodules.vtkFiltersSources import vtkSphereSource

        for actor in self.actors:
            renderer.RemoveActor(actor)
        self.actors.clear()
        self._keep.clear()
        show_plan = getattr(self.view3d, "show_plan", None)
        if callable(show_plan):  # the bone surface would hide a transpedicular plan: see through it
            show_plan(bool(controller.case.trajectories))
        for k, traj in enumerate(controller.case.trajectories.values()):
            entry = np.asarray(traj.entry_lps)
            tip = np.asarray(traj.target_lps)
            d = (tip - entry) / np.linalg.norm(tip - entry)
            antenna_tip = tip + traj.antenna_extension_mm * d
            for a, b, diameter, rgb in (
                (entry, tip, NEEDLE_OUTER_DIAMETER_MM[traj.needle_gauge], (0.0, 0.9, 1.0)),
                (tip, antenna_tip, antenna_diameter_mm(traj), (1.0, 0.62, 0.11)),
            ):
                if np.allclose(a, b):
                    continue
                vol = controller.volume
                inside, outside, _ = split_at_image(vol, a, b) if vol is not None else ([(a, b)], [], [])
                # the part outside the scanned image in amber dashes (as the 2D views break it)
                pieces = [(p, q, rgb) for p, q in inside] + [
                    (p, q, OUTSIDE_IMAGE_RGB) for part in outside for p, q in dashes(*part)
                ]
                for p, q, colour in pieces:
                    line, tube = tube_source(p, q, diameter)
                    add_actor(renderer, tube, colour, 1.0, self.actors, self._keep)
                    self._keep.append(line)
            for zone in controller.zones(traj, k):
                sphere = vtkSphereSource()
                sphere.SetRadius(0.5)
                sphere.SetThetaResolution(32)
                sphere.SetPhiResolution(24)
                transform = vtkTransform()
                transform.Translate(*zone.center_lps)
                # the sphere's z axis onto the zone axis, scaled to the spheroid
                axis = np.asarray(zone.axis_lps, dtype=np.float64)
                z = np.array([0.0, 0.0, 1.0])
                rot_axis = np.cross(z, axis)
                s = float(np.linalg.norm(rot_axis))
                angle = float(np.degrees(np.arctan2(s, float(z @ axis))))
                if s > 1e-9:
                    transform.RotateWXYZ(angle, *(rot_axis / s).tolist())
                elif float(z @ axis) < 0:
                    transform.RotateWXYZ(180.0, 1.0, 0.0, 0.0)
                transform.Scale(zone.width_mm, zone.width_mm, zone.length_mm)
                tf = vtkTransformPolyDataFilter()
                tf.SetTransform(transform)
                tf.SetInputConnection(sphere.GetOutputPort())
                add_actor(renderer, tf, (1.0, 0.47, 0.78), 0.35, self.actors, self._keep)
                self._keep += [sphere, transform]
        render = getattr(self.view3d, "schedule_render", None)
        if callable(render):
            render()  # coalesced: a drag or a stroke changes the plan many times a second


class ResliceMode(StrEnum):
    """The two views along a needle."""

    IN_PLANE = "in-plane"
    PROBE = "probe's eye"


OPPOSITE = {"L": "R", "R": "L", "A": "P", "P": "A", "S": "I", "I": "S"}


def _letter(vec: FloatArray) -> str:
    k = int(np.argmax(np.abs(vec)))
    return ("L", "P", "S")[k] if vec[k] > 0 else ("R", "A", "I")[k]


class NeedleResliceView(QWidget):
    """A reslice of the planning volume along (in-plane) or across (probe's eye) the selected needle.

    ``depth_mm`` (probe's eye) is measured from the entry along the needle.
    """

    PIXELS = 256

    def __init__(
        self, controller: PlanningController, mode: ResliceMode, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.mode = mode
        self.depth_mm = 0.0
        self.fov_mm = 80.0
        self._image: QImage | None = None
        self._buffer: npt.NDArray[np.uint8] | None = None
        self._canal: npt.NDArray[np.bool_] | None = None
        self._frame: tuple[FloatArray, FloatArray, FloatArray] | None = None  # centre, right, up
        #: True when the needle or window changed while the view was off screen (not resampled)
        self.stale = False
        self.setMinimumSize(180, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setToolTip(
            "In-plane view: the needle's plane with the patient's superior axis (entry left, tip right)"
            if mode == ResliceMode.IN_PLANE
            else "Probe's-eye view: perpendicular to the needle at the chosen depth"
        )

    # -- geometry -------------------------------------------------------------------------------
    def frame(self) -> tuple[FloatArray, FloatArray, FloatArray] | None:
        """``(centre_lps, right_lps, up_lps)`` of the image plane, None without a selected needle."""
        traj = self.controller.trajectory()
        if traj is None:
            return None
        entry = np.asarray(traj.entry_lps)
        tip = np.asarray(traj.target_lps)
        d, up, side = needle_frame(tip - entry)
        if self.mode == ResliceMode.IN_PLANE:
            end = tip + traj.antenna_extension_mm * d
            self.fov_mm = max(80.0, float(np.linalg.norm(end - entry)) + 30.0)
            return (entry + end) / 2.0, d, up
        self.fov_mm = 80.0
        return entry + self.depth_mm * d, side, up

    def lps_to_widget(self, point_lps: npt.ArrayLike) -> QPointF:
        """Widget position of an LPS point projected onto the image plane."""
        if self._frame is None:
            return QPointF()
        centre, right, up = self._frame
        p = np.asarray(point_lps, dtype=np.float64) - centre
        rect = self._rect()
        s = rect.width() / self.fov_mm
        return QPointF(rect.center().x() + float(p @ right) * s, rect.center().y() - float(p @ up) * s)

    def _rect(self) -> QRectF:
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2.0, (self.height() - side) / 2.0, side, side)

    def outside_image(self) -> bool:
        """True when the probe's-eye section (at its depth) lies outside the scanned image; False in plane."""
        vol = self.controller.volume
        if self.mode != ResliceMode.PROBE or vol is None or self._frame is None:
            return False
        return point_outside_image(vol, self._frame[0])

    def caption(self) -> str:
        """The caption written at the view's top left (:meth:`caption_lines` lays it out): mode, needle,
        and the probe's depth."""
        traj = self.controller.trajectory()
        text = f"{self.mode.value} — {traj.name if traj is not None else ''}"
        if self.mode == ResliceMode.PROBE:
            text += f"  depth {self.depth_mm:.0f} mm"
            if self.outside_image():
                text += " (outside the image)"
        return text

    def caption_lines(self) -> list[str]:
        """The caption as laid out at the view's size (:mod:`app.planning_ui.reslice_caption`), one string
        per line; [] without a selected needle."""
        if self._frame is None:
            return []
        box = caption_box(self.width(), self.height(), _letter(self._frame[2]))
        return caption_lines(self.caption(), box)

    # -- sampling -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Resample the image (call when the needle, depth or window changes)."""
        from scipy import ndimage

        vol = self.controller.volume
        self.stale = False
        self._frame = self.frame()
        if vol is None or self._frame is None:
            self._image = None
            self.update()
            return
        centre, right, up = self._frame
        n = self.PIXELS
        step = self.fov_mm / n
        offs = (np.arange(n) - (n - 1) / 2.0) * step
        # rows go down the screen = -up
        pts = (
            centre[None, None, :]
            + offs[None, :, None] * right[None, None, :]
            - offs[:, None, None] * up[None, None, :]
        )
        # a C-contiguous matrix: with the transposed view numpy hands the 65536 x 3 product to threaded
        # BLAS, which took 44-54 ms on the 2 busy cores here instead of 1-2 ms
        to_index = np.ascontiguousarray(vol.lps_to_index[:3, :3].T)
        idx = pts.reshape(-1, 3) @ to_index + vol.lps_to_index[:3, 3]
        hu = ndimage.map_coordinates(
            vol.array, idx.T, order=1, mode="constant", cval=-1024.0, prefilter=False
        )
        state = self.controller.window.state
        grey = np.ascontiguousarray(apply_window(hu.reshape(n, n), state.window_hu, state.level_hu))
        self._buffer = grey
        self._image = QImage(grey.data, n, n, n, QImage.Format.Format_Grayscale8)
        traj = self.controller.trajectory()
        target = self.controller.case.targets.get(traj.target) if traj is not None else None
        canal = self.controller.layer_mask(LayerKind.CANAL, target, centre)
        self._canal = None
        if canal is not None:
            local = idx - np.asarray(canal.offset_index)
            self._canal = (
                ndimage.map_coordinates(
                    canal.array.astype(np.uint8), local.T, order=0, mode="constant", cval=0
                )
                .reshape(n, n)
                .astype(bool)
            )
        self.update()

    # -- drawing --------------------------------------------------------------------------------
    def paintEvent(self, event: Any) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(0, 0, 0))
        rect = self._rect()
        traj = self.controller.trajectory()
        if self._image is None or traj is None or self._frame is None:
            painter.setPen(QColor("#9ecbff"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Select a needle")
            painter.end()
            return
        painter.drawImage(rect, self._image)
        if self._canal is not None and self._canal.any():
            rgba = np.zeros((*self._canal.shape, 4), dtype=np.uint8)
            rgba[self._canal] = (CANAL_COLOUR.red(), CANAL_COLOUR.green(), CANAL_COLOUR.blue(), 90)
            rgba = np.ascontiguousarray(rgba)
            img = QImage(
                rgba.data, rgba.shape[1], rgba.shape[0], 4 * rgba.shape[1], QImage.Format.Format_RGBA8888
            )
            painter.drawImage(rect, img)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        centre, right, up = self._frame
        normal = np.cross(right, up)
        scale = rect.width() / self.fov_mm
        # zones
        for zone in self.controller.zones(traj):
            outline = zone_section(zone, centre, normal)
            if outline is None:
                continue
            poly = QPolygonF([self.lps_to_widget(p) for p in outline])
            fill = QColor(ZONE_COLOUR)
            fill.setAlpha(50)
            painter.setBrush(QBrush(fill))
            painter.setPen(QPen(ZONE_COLOUR, 1.5))
            painter.drawPolygon(poly)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        entry = np.asarray(traj.entry_lps)
        tip = np.asarray(traj.target_lps)
        d = (tip - entry) / np.linalg.norm(tip - entry)
        outer = NEEDLE_OUTER_DIAMETER_MM[traj.needle_gauge]
        vol = self.controller.volume
        if self.mode == ResliceMode.IN_PLANE:
            for a, b, dia, col in (
                (entry, tip, outer, NEEDLE_COLOUR),
                (tip, tip + traj.antenna_extension_mm * d, antenna_diameter_mm(traj), ANTENNA_COLOUR),
            ):
                if np.allclose(a, b):
                    continue
                # as on the 2D views: the part outside the scanned image a broken amber band, with a
                # bar across the needle where the image ends
                inside, outside, edges = split_at_image(vol, a, b) if vol is not None else ([(a, b)], [], [])
                width = max(1.0, dia * scale)
                for pieces, colour, broken in ((inside, col, False), (outside, OUTSIDE_IMAGE_COLOUR, True)):
                    band = QColor(colour)
                    band.setAlpha(200)
                    pen = QPen(band, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap)
                    if broken:
                        pen.setDashPattern(NEAR_OUTSIDE_DASHES)
                    painter.setPen(pen)
                    for p, q in pieces:
                        painter.drawLine(self.lps_to_widget(p), self.lps_to_widget(q))
                for at in edges:
                    _paint_edge_bar(self, painter, at, b - a)
        if self.mode == ResliceMode.PROBE:
            at_needle = self.depth_mm <= np.linalg.norm(tip - entry)
            dia = outer if at_needle else antenna_diameter_mm(traj)
            # the section at this depth outside the scanned image: a broken amber circle
            probe_outside = self.outside_image()
            pen = QPen(
                OUTSIDE_IMAGE_COLOUR if probe_outside else (NEEDLE_COLOUR if at_needle else ANTENNA_COLOUR),
                1.5,
            )
            if probe_outside:
                pen.setDashPattern(NEAR_OUTSIDE_DASHES)
            painter.setPen(pen)
            c = self.lps_to_widget(centre)
            painter.drawEllipse(c, dia * scale / 2.0, dia * scale / 2.0)
        # letters and label
        painter.setPen(LETTER_COLOUR)
        painter.setFont(letter_font())
        flags = Qt.AlignmentFlag
        r_letter, u_letter = _letter(right), _letter(up)
        w, h = self.width(), self.height()
        painter.drawText(QRectF(w - 24, 0, 20, h), flags.AlignRight | flags.AlignVCenter, r_letter)
        painter.drawText(QRectF(4, 0, 20, h), flags.AlignLeft | flags.AlignVCenter, OPPOSITE[r_letter])
        painter.drawText(QRectF(0, 2, w, 18), flags.AlignHCenter | flags.AlignTop, u_letter)
        painter.drawText(QRectF(0, h - 20, w, 18), flags.AlignHCenter | flags.AlignBottom, OPPOSITE[u_letter])
        # the caption in the top-left corner, clear of the top and left letters (QA s32 B: at the dock's
        # width it ran under the top "S", "dep S th")
        painter.setPen(CAPTION_COLOUR)
        painter.setFont(caption_font())
        fm = QFontMetricsF(caption_font())
        box = caption_box(w, h, u_letter)
        for i, line in enumerate(self.caption_lines()):
            painter.drawText(QPointF(box.left(), box.top() + fm.ascent() + i * fm.lineSpacing()), line)
        # 10 mm scale bar
        painter.setPen(QPen(QColor("#ffffff"), 2))
        y = h - 8
        painter.drawLine(QPointF(8, y), QPointF(8 + 10 * scale, y))
        painter.drawText(QPointF(10 + 10 * scale, y), "10 mm")
        painter.end()


def project_points(view: Any, points_lps: FloatArray) -> FloatArray:
    """Widget positions ``(N, 2)`` of LPS points in a SliceView (vectorised ``lps_to_widget``)."""
    d = view.state.display
    _, r_axis, c_axis = VIEW_AXES[view.view]
    m = d.volume.lps_to_index
    idx = np.asarray(points_lps, dtype=np.float64) @ m[:3, :3].T + m[:3, 3]
    rows, cols = d.slice_array(view.view, 0).shape
    rect = view.image_rect()
    x = rect.left() + (idx[:, c_axis] + 0.5) * rect.width() / cols
    y = rect.top() + (idx[:, r_axis] + 0.5) * rect.height() / rows
    out: FloatArray = np.stack([x, y], axis=1)
    return out


def zone_path(view: Any, outline_lps: FloatArray) -> QPainterPath:
    """A closed QPainterPath of an LPS outline projected in a SliceView."""
    path = QPainterPath()
    path.addPolygon(QPolygonF([QPointF(float(x), float(y)) for x, y in project_points(view, outline_lps)]))
    path.closeSubpath()
    return path
