"""A 2D view (axial, sagittal or coronal): a windowed numpy slice drawn into a QImage.

Drawing numpy slices through QPainter costs about 1-2 ms a frame on any machine (DESIGN.md) and
the pixels can be tested with ``QWidget.grab()``. Geometry lives in :mod:`app.display_geometry`:
the slice is already in radiological orientation, and its pixels are drawn with their true
aspect (row and column spacing in mm). Mouse: left sets the crosshair (or draws the ruler), right
drag changes window/level, middle drag pans, wheel scrolls slices, Ctrl+wheel zooms, double-click
maximises. Keys: PageUp/PageDown and Up/Down arrows scroll, Home/End jump, R resets zoom.
Slices the loader interpolated rather than measured are marked (:mod:`app.interpolated_marks`); the
crosshair, ruler, orientation letters and corner label are drawn by :mod:`app.slice_annotations`.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.display_geometry import ViewAxis, apply_window
from app.interpolated_marks import InterpolatedMarks
from app.slice_annotations import (
    LABEL_FONT,
    VIEW_COLOURS,
    draw_crosshair,
    draw_label,
    draw_letters,
    draw_ruler,
    label_lines,
)
from app.viewer_state import Tool, ViewerState
from imaging.slice_numbers import SliceNumbering, slice_numbering

__all__ = [
    "LABEL_FONT",
    "MAX_ZOOM",
    "MIN_ZOOM",
    "VIEW_COLOURS",
    "WINDOW_HU_PER_PIXEL",
    "ZOOM_STEP",
    "SliceView",
]

ZOOM_STEP = 1.15
MIN_ZOOM, MAX_ZOOM = 0.25, 20.0
#: HU change of the window per pixel of right-drag
WINDOW_HU_PER_PIXEL = 4.0


class SliceView(QWidget):
    """One 2D view of the shared :class:`ViewerState`.

    Signals
    -------
    maximise_requested
        The operator double-clicked the view.
    cursor_info
        Text for the status bar: HU, LPS position and slice under the cursor.
    """

    maximise_requested = Signal()
    cursor_info = Signal(str)
    ruler_measured = Signal(float)

    def __init__(self, state: ViewerState, view: ViewAxis, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.view = view
        self.zoom = 1.0
        self.pan = QPointF(0.0, 0.0)
        self.ruler_lps: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None = None
        self._image: QImage | None = None
        self._image_buffer: npt.NDArray[np.uint8] | None = None
        self._image_key: tuple[Any, ...] | None = None
        self._drag_button = Qt.MouseButton.NoButton
        self._drag_last = QPointF()
        #: slices drawn so far, and when the first one was (time.perf_counter(), for benchmarks)
        self.frames_drawn = 0
        self.first_frame_time: float | None = None
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(160, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setToolTip(
            f"{view.value.capitalize()} view — left: crosshair · right drag: window/level · "
            "wheel: slices · Ctrl+wheel: zoom · middle drag: pan · double-click: maximise"
        )
        state.volume_changed.connect(self._on_state_volume_changed)
        #: the amber note and edge ticks on interpolated (not measured) slices
        self.interpolated = InterpolatedMarks(self)
        state.crosshair_changed.connect(self.update)
        state.window_changed.connect(self.update)
        state.layers_changed.connect(self.update)
        state.overlays_changed.connect(self.update)

    # -- public geometry ------------------------------------------------------------------------
    def slice_index(self) -> int:
        """The slice shown (index along the display grid's fixed axis of this view)."""
        d = self.state.display
        if d is None:
            return 0
        return d.slice_index(self.view, self.state.crosshair_lps)

    def slice_count(self) -> int:
        """Number of slices of this view."""
        d = self.state.display
        if d is None:
            return 0
        from app.display_geometry import VIEW_AXES

        return d.shape[VIEW_AXES[self.view][0]]

    def slice_numbering(self) -> SliceNumbering | None:
        """How this view numbers its slices for the operator (:mod:`imaging.slice_numbers`: the same
        numbers the import notes and ``osteoplan info`` use), None without a volume."""
        d = self.state.display
        if d is None:
            return None
        from app.display_geometry import VIEW_AXES

        return slice_numbering(d.volume.direction, d.shape, axis=VIEW_AXES[self.view][0])

    def slice_label(self) -> str:
        """``"12/40"``: the number of the slice shown and the view's slice count ("" without a volume)."""
        numbering = self.slice_numbering()
        return "" if numbering is None else numbering.label(self.slice_index())

    def label_lines(self) -> list[str]:
        """The corner label's lines (:func:`app.slice_annotations.label_lines`)."""
        return label_lines(self)

    def show_slice_number(self, number: int) -> None:
        """Scroll to the slice an import note or the corner label calls ``number`` (1-based).

        Raises
        ------
        ValueError
            If there is no such slice in this view.
        """
        numbering = self.slice_numbering()
        if numbering is None:
            raise ValueError("no volume is shown")
        self.step_slice(numbering.index(number) - self.slice_index())

    def image_rect(self) -> QRectF:
        """Where the slice image is drawn, in widget coordinates (true aspect, zoom, pan)."""
        d = self.state.display
        if d is None:
            return QRectF()
        rows, cols = d.slice_array(self.view, 0).shape
        dr, dc = d.pixel_spacing_mm(self.view)
        h_mm, w_mm = rows * dr, cols * dc
        scale = min(self.width() / w_mm, self.height() / h_mm) * self.zoom
        w, h = w_mm * scale, h_mm * scale
        cx = self.width() / 2.0 + self.pan.x()
        cy = self.height() / 2.0 + self.pan.y()
        return QRectF(cx - w / 2.0, cy - h / 2.0, w, h)

    def lps_to_widget(self, point_lps: npt.ArrayLike) -> QPointF:
        """Widget position where an LPS point projects in this view."""
        d = self.state.display
        if d is None:
            return QPointF()
        _, row, col = d.lps_to_pixel(self.view, point_lps)
        rows, cols = d.slice_array(self.view, 0).shape
        rect = self.image_rect()
        return QPointF(
            rect.left() + (col + 0.5) * rect.width() / cols, rect.top() + (row + 0.5) * rect.height() / rows
        )

    def widget_to_lps(self, pos: QPointF) -> npt.NDArray[np.float64]:
        """LPS position under a widget point, on the slice shown."""
        d = self.state.display
        if d is None:
            return np.zeros(3)
        rows, cols = d.slice_array(self.view, 0).shape
        rect = self.image_rect()
        col = (pos.x() - rect.left()) * cols / rect.width() - 0.5
        row = (pos.y() - rect.top()) * rows / rect.height() - 0.5
        index, _, _ = d.lps_to_pixel(self.view, self.state.crosshair_lps)
        return d.pixel_to_lps(self.view, float(round(index)), row, col)

    def step_slice(self, steps: int) -> None:
        """Move the crosshair by whole slices along this view's axis."""
        d = self.state.display
        if d is None or steps == 0:
            return
        index, row, col = d.lps_to_pixel(self.view, self.state.crosshair_lps)
        new_index = int(np.clip(round(index) + steps, 0, self.slice_count() - 1))
        self.state.set_crosshair(d.pixel_to_lps(self.view, new_index, row, col))

    def reset_view(self) -> None:
        """Fit the slice to the view again (zoom 1, no pan)."""
        self.zoom = 1.0
        self.pan = QPointF(0.0, 0.0)
        self.update()

    # -- drawing --------------------------------------------------------------------------------
    def _slice_image(self) -> QImage | None:
        d = self.state.display
        if d is None:
            return None
        index = self.slice_index()
        key = (id(d), index, self.state.window_hu, self.state.level_hu)
        if key != self._image_key or self._image is None:
            grey = np.ascontiguousarray(
                apply_window(d.slice_array(self.view, index), self.state.window_hu, self.state.level_hu)
            )
            h, w = grey.shape
            self._image_buffer = grey  # QImage borrows this memory
            self._image = QImage(grey.data, w, h, w, QImage.Format.Format_Grayscale8)
            self._image_key = key
        return self._image

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(0, 0, 0))
        image = self._slice_image()
        if image is not None:
            rect = self.image_rect()
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.zoom > 1.0)
            painter.drawImage(rect, image)
            self._draw_layers(painter, rect)
            self.interpolated.paint(painter, rect)
            for overlay in list(self.state.overlay_painters):
                painter.save()
                overlay(self, painter)
                painter.restore()
            draw_crosshair(self, painter)
            draw_ruler(self, painter)
            draw_letters(self, painter)
            self.frames_drawn += 1
            if self.first_frame_time is None:
                self.first_frame_time = time.perf_counter()
        draw_label(self, painter)
        if self.hasFocus():
            painter.setPen(QPen(VIEW_COLOURS[self.view], 1))
            painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.end()

    def paint_mask_box(
        self,
        painter: QPainter,
        box: npt.NDArray[np.bool_],
        offset: tuple[int, int, int],
        rgba: tuple[int, int, int, int],
        rect: QRectF | None = None,
    ) -> None:
        """Draw this view's slice of a mask box on the display grid (``offset`` its first voxel there) in
        one colour, over the slice image at ``rect`` (default :meth:`image_rect`)."""
        d = self.state.display
        if d is None:
            return
        from app.display_geometry import VIEW_AXES

        fixed, r_axis, c_axis = VIEW_AXES[self.view]
        k = self.slice_index() - offset[fixed]
        if k < 0 or k >= box.shape[fixed]:
            return
        plane = np.take(box, k, axis=fixed)  # (rows, cols) in the box
        if not plane.any():
            return
        if rect is None:
            rect = self.image_rect()
        rows, cols = d.slice_array(self.view, 0).shape
        px_w, px_h = rect.width() / cols, rect.height() / rows
        image = np.zeros((*plane.shape, 4), dtype=np.uint8)
        image[plane] = rgba
        image = np.ascontiguousarray(image)
        h, w = plane.shape
        img = QImage(image.data, w, h, 4 * w, QImage.Format.Format_RGBA8888)
        target = QRectF(
            rect.left() + offset[c_axis] * px_w, rect.top() + offset[r_axis] * px_h, w * px_w, h * px_h
        )
        painter.drawImage(target, img)

    def _draw_layers(self, painter: QPainter, rect: QRectF) -> None:
        if self.state.display is None:
            return
        for layer in self.state.layers.values():
            if not layer.visible or layer.opacity <= 0:
                continue
            box, off = self.state.layer_box(layer)
            c = layer.colour
            rgba = (c.red(), c.green(), c.blue(), round(255 * layer.opacity))
            self.paint_mask_box(painter, box, off, rgba, rect)

    # -- mouse and keys -------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._drag_button = event.button()
        self._drag_last = event.position()
        if event.button() == Qt.MouseButton.LeftButton and self.state.display is not None:
            point = self.widget_to_lps(event.position())
            tool = self.state.mouse_tool
            if tool is not None and tool.press(self, point, event):
                event.accept()
                return
            if self.state.tool == Tool.RULER:
                self.ruler_lps = (point, point.copy())
                self.update()
            else:
                self.state.set_crosshair(point)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        delta = pos - self._drag_last
        buttons = event.buttons()
        if buttons & Qt.MouseButton.LeftButton and self.state.display is not None:
            point = self.widget_to_lps(pos)
            tool = self.state.mouse_tool
            if tool is not None and tool.move(self, point, event):
                self._drag_last = pos
                self._emit_cursor_info(pos)
                return
            if self.state.tool == Tool.RULER and self.ruler_lps is not None:
                self.ruler_lps = (self.ruler_lps[0], point)
                self.ruler_measured.emit(float(np.linalg.norm(point - self.ruler_lps[0])))
                self.update()
            else:
                self.state.set_crosshair(point)
        elif buttons & Qt.MouseButton.RightButton:
            self.state.set_window(
                self.state.window_hu + delta.x() * WINDOW_HU_PER_PIXEL,
                self.state.level_hu - delta.y() * WINDOW_HU_PER_PIXEL,
            )
        elif buttons & Qt.MouseButton.MiddleButton:
            self.pan += delta
            self.update()
        self._drag_last = pos
        self._emit_cursor_info(pos)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag_button = Qt.MouseButton.NoButton
        tool = self.state.mouse_tool
        if (
            tool is not None
            and event.button() == Qt.MouseButton.LeftButton
            and self.state.display is not None
        ):
            tool.release(self, self.widget_to_lps(event.position()), event)
        event.accept()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.maximise_requested.emit()
        event.accept()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() // 120
        if steps == 0:
            steps = 1 if event.angleDelta().y() > 0 else (-1 if event.angleDelta().y() < 0 else 0)
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom = float(np.clip(self.zoom * ZOOM_STEP**steps, MIN_ZOOM, MAX_ZOOM))
            self.update()
        else:
            # wheel forward moves towards the top of the grid (superior in axial)
            self.step_slice(-int(steps))
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        keys = Qt.Key
        if key in (keys.Key_PageUp, keys.Key_Up):
            self.step_slice(-1 if key == keys.Key_Up else -10)
        elif key in (keys.Key_PageDown, keys.Key_Down):
            self.step_slice(1 if key == keys.Key_Down else 10)
        elif key == keys.Key_Home:
            self.step_slice(-self.slice_count())
        elif key == keys.Key_End:
            self.step_slice(self.slice_count())
        elif key == keys.Key_R:
            self.reset_view()
        else:
            super().keyPressEvent(event)

    def focusInEvent(self, event: Any) -> None:
        self.update()
        super().focusInEvent(event)

    def focusOutEvent(self, event: Any) -> None:
        self.update()
        super().focusOutEvent(event)

    def _emit_cursor_info(self, pos: QPointF) -> None:
        d = self.state.display
        if d is None:
            return
        point = self.widget_to_lps(pos)
        hu = self.state.hu_at(point)
        hu_text = f"{hu:.0f} HU" if hu is not None else "outside"
        note = self.interpolated.cursor_note(point)
        self.cursor_info.emit(
            f"{self.view.value}  slice {self.slice_label()}   "
            f"LPS ({point[0]:.1f}, {point[1]:.1f}, {point[2]:.1f}) mm   {hu_text}"
            + (f"   {note}" if note else "")
        )

    def _on_state_volume_changed(self) -> None:
        self._image_key = None
        self.ruler_lps = None
        self.reset_view()
