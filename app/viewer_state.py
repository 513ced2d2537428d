"""Display state shared by the views of one window: volume, crosshair, window/level, layers, tool.

This is *display* state (like Slicer's display nodes): it never goes into the Case. The crosshair is
an LPS position in mm; window and level are in HU. Views listen to the signals and redraw.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor

from app.display_geometry import DisplayVolume, reorient_for_display
from app.presets import DEFAULT_PRESET, WindowPreset
from imaging.mask import Mask
from imaging.volume import Volume

#: colours given to new layers in turn (colour-blind-friendly Okabe-Ito palette)
LAYER_COLOURS = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")
DEFAULT_LAYER_OPACITY = 0.45


class Tool(StrEnum):
    """What the left mouse button does in a 2D view."""

    CROSSHAIR = "crosshair"
    RULER = "ruler"


class MouseTool(Protocol):
    """A left-button tool plugged into every 2D view (lesion click, brush, needle placement...).

    Each method gets the view, the LPS point under the mouse and the Qt event, and returns True
    when it handled the event (then the view does not move the crosshair).
    """

    def press(self, view: Any, point_lps: npt.NDArray[np.float64], event: Any) -> bool: ...

    def move(self, view: Any, point_lps: npt.NDArray[np.float64], event: Any) -> bool: ...

    def release(self, view: Any, point_lps: npt.NDArray[np.float64], event: Any) -> bool: ...


#: draws extra items (needles, zones, handles) over a 2D view: painter(view, QPainter)
OverlayPainter = Callable[[Any, Any], None]
#: the widget boxes (QRectF) an overlay writes or draws marks in on a 2D view: boxes(view); labels placed by
#: other overlays keep clear of them (the level names of the pedicles' width labels: QA s29 F6)
KeepClear = Callable[[Any], list[Any]]


@dataclass
class LayerDisplay:
    """How one mask layer of the case is shown (colour, opacity, visibility) plus its mask."""

    name: str
    mask: Mask
    colour: QColor
    opacity: float = DEFAULT_LAYER_OPACITY
    visible: bool = True
    #: display-grid box of the mask, computed once per mask
    display_box: tuple[npt.NDArray[np.bool_], tuple[int, int, int]] | None = field(default=None, repr=False)


class ViewerState(QObject):
    """The shared display state; emits a signal only when a value really changes."""

    volume_changed = Signal()
    crosshair_changed = Signal()
    window_changed = Signal()
    layers_changed = Signal()
    tool_changed = Signal()
    overlays_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.display: DisplayVolume | None = None
        self.crosshair_lps: npt.NDArray[np.float64] = np.zeros(3)
        self.window_hu: float = DEFAULT_PRESET.width_hu
        self.level_hu: float = DEFAULT_PRESET.level_hu
        self.layers: dict[str, LayerDisplay] = {}
        self.tool: Tool = Tool.CROSSHAIR
        #: a plugged-in left-button tool; when set it sees presses before the built-in tools
        self.mouse_tool: MouseTool | None = None
        #: extra drawing over every 2D view, called after the mask layers
        self.overlay_painters: list[OverlayPainter] = []
        #: what overlays take on a view, for labels that can move to keep clear of it
        self.keep_clear: list[KeepClear] = []
        #: redraw request for overlays (emit after changing what a painter draws)

    # -- volume -----------------------------------------------------------------------------------
    def set_volume(self, volume: Volume | None) -> None:
        """Show a volume (reoriented for display); the crosshair goes to its centre."""
        self.layers.clear()
        if volume is None:
            self.display = None
        else:
            self.display = reorient_for_display(volume)
            centre = (np.asarray(self.display.shape, dtype=np.float64) - 1) / 2.0
            self.crosshair_lps = self.display.volume.index_to_lps_points(np.floor(centre))
        self.volume_changed.emit()
        self.layers_changed.emit()
        self.crosshair_changed.emit()

    # -- crosshair --------------------------------------------------------------------------------
    def set_crosshair(self, point_lps: npt.ArrayLike) -> None:
        """Move the crosshair (LPS mm), clamped to the volume's display box."""
        p = np.asarray(point_lps, dtype=np.float64).reshape(3)
        if self.display is not None:
            idx = self.display.volume.lps_to_index_points(p)
            idx = np.clip(idx, 0, np.asarray(self.display.shape) - 1)
            p = self.display.volume.index_to_lps_points(idx)
        if np.allclose(p, self.crosshair_lps, atol=1e-6):
            return
        self.crosshair_lps = p
        self.crosshair_changed.emit()

    # -- window / level ---------------------------------------------------------------------------
    def set_window(self, width_hu: float, level_hu: float) -> None:
        """Set the window width (at least 1 HU) and level in HU."""
        width = max(1.0, float(width_hu))
        level = float(level_hu)
        if width == self.window_hu and level == self.level_hu:
            return
        self.window_hu, self.level_hu = width, level
        self.window_changed.emit()

    def apply_preset(self, preset: WindowPreset) -> None:
        """Set the window from a preset."""
        self.set_window(preset.width_hu, preset.level_hu)

    # -- tool -------------------------------------------------------------------------------------
    def set_mouse_tool(self, tool: MouseTool | None) -> None:
        """Plug a left-button tool into every 2D view (None restores the built-in tools)."""
        if tool is not self.mouse_tool:
            self.mouse_tool = tool
            self.tool_changed.emit()

    def set_tool(self, tool: Tool) -> None:
        """Choose what the left button does."""
        if tool != self.tool:
            self.tool = tool
            self.tool_changed.emit()

    # -- layers -----------------------------------------------------------------------------------
    def sync_layers(
        self, masks: dict[str, Mask], colours_rgb: dict[str, tuple[int, int, int]] | None = None
    ) -> None:
        """Show exactly these masks, keeping the display settings of layers already shown.

        ``colours_rgb`` gives each layer's colour as the case holds it: a new layer starts with it, and a
        layer already shown takes it when it differs (an undone recolour is drawn in the case's colour).
        """
        changed = False
        for name in list(self.layers):
            if name not in masks:
                del self.layers[name]
                changed = True
        for name, mask in masks.items():
            layer = self.layers.get(name)
            if layer is None:
                rgb = (colours_rgb or {}).get(name)
                colour = QColor(*rgb) if rgb else QColor(LAYER_COLOURS[len(self.layers) % len(LAYER_COLOURS)])
                self.layers[name] = LayerDisplay(name, mask, colour)
                changed = True
            else:
                if layer.mask is not mask and layer.mask != mask:
                    layer.mask = mask
                    layer.display_box = None
                    changed = True
                rgb = (colours_rgb or {}).get(name)
                if rgb is not None and layer.colour != QColor(*rgb):
                    layer.colour = QColor(*rgb)
                    changed = True
        if list(self.layers) != list(masks):
            # the case's order is the drawing order (a renamed layer kept its place: QA s20 F6, a rename
            # and its undo moved it to the end, over the others)
            ordered = [(name, self.layers[name]) for name in masks]
            self.layers.clear()  # in place: views hold this dict
            self.layers.update(ordered)
            changed = True
        if changed:
            self.layers_changed.emit()

    def update_layer(self, name: str, **changes: Any) -> None:
        """Change ``colour``, ``opacity`` or ``visible`` of a layer."""
        layer = self.layers[name]
        for key, value in changes.items():
            if key not in {"colour", "opacity", "visible"}:
                raise ValueError(f"not a layer display setting: {key!r}")
            setattr(layer, key, value)
        self.layers_changed.emit()

    def layer_box(self, layer: LayerDisplay) -> tuple[npt.NDArray[np.bool_], tuple[int, int, int]]:
        """The layer's mask on the display grid (cached)."""
        if layer.display_box is None:
            if self.display is None:
                raise ValueError("no volume is shown")
            layer.display_box = self.display.mask_to_display(layer.mask)
        return layer.display_box

    # -- reading values ---------------------------------------------------------------------------
    def hu_at(self, point_lps: npt.ArrayLike) -> float | None:
        """HU of the display voxel nearest an LPS point, None outside the volume."""
        if self.display is None:
            return None
        idx = np.rint(self.display.volume.lps_to_index_points(point_lps)).astype(int)
        if np.any(idx < 0) or np.any(idx >= np.asarray(self.display.shape)):
            return None
        return float(self.display.volume.array[idx[0], idx[1], idx[2]])
