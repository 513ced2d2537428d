"""The Mask editing dock: which layer to edit, brush and eraser settings, whole-mask operations.

Brush radius in mm (a spin box, also the [ and ] keys), disc in the view's plane or 3D sphere, an
optional inclusive HU range the brush is limited to, and fill holes / remove islands / grow / shrink
by a margin in mm; fill holes in 3D (holes closed on every side) or slice by slice in the slices of a
view (what each slice encloses: a ring seen in that view). Defaults: the HU range starts at 130-3000
HU, the generic bone threshold (CLINICAL.md "CT attenuation", 3D Slicer's segment editor example),
and stays off until ticked; the margin starts at 2 mm, the planned margin beyond a bone lesion
(CLINICAL.md, Qiu); Fill holes starts in 3D, as it was before the choice. The brush radius (3 mm) is
an operator convenience, not a clinical figure; the smallest brush still paints the voxel under the
cursor (:mod:`imaging.mask_edit`). A bound typed past the other one moves the other with it (a lower
bound of 2000 over an upper of 400 raises the upper to 2000; then typing 2500 as the upper gives
2000 - 2500), as a range slider does, and the status bar says so: the boxes always show the range the
brush uses, and typing a range in the usual order (lower first) gives the range typed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.display_geometry import ViewAxis
from app.limited_spin import LimitedSpinBox
from app.segmentation.edit_tools import MAX_RADIUS_MM, MIN_RADIUS_MM, RADIUS_STEP_MM, BrushShape, view_plane
from imaging.mask import Mask
from imaging.mask_edit import PlaneAxis
from planning.commands import AddLayer
from planning.model import LayerKind, MaskLayer

if TYPE_CHECKING:
    from app.segmentation.controller import SegmentationController

#: generic bone threshold, CLINICAL.md (3D Slicer segment editor example)
DEFAULT_HU_RANGE = (130.0, 3000.0)
#: zone planned 2 mm beyond the lesion margin (CLINICAL.md, Qiu 2019)
DEFAULT_MARGIN_MM = 2.0
#: the margin field's range (mm): operator limits, not clinical figures
MIN_MARGIN_MM = 0.1
MAX_MARGIN_MM = 30.0
#: where Fill holes works: 3D first (the behaviour before the choice existed), then each view's slices
FILL_CHOICES: tuple[tuple[str, ViewAxis | None], ...] = (
    ("in 3D (holes closed on every side)", None),
    ("in axial slices", ViewAxis.AXIAL),
    ("in coronal slices", ViewAxis.CORONAL),
    ("in sagittal slices", ViewAxis.SAGITTAL),
)


class EditPanel(QDockWidget):
    """Dock with the editing settings; every control pushes into the controller, never the case."""

    def __init__(self, controller: SegmentationController, parent: QWidget | None = None) -> None:
        super().__init__("Mask editing", parent)
        self.setObjectName("maskEditDock")
        self.controller = controller
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        form = QFormLayout()
        layer_row = QHBoxLayout()
        self.layer_combo = QComboBox()
        self.layer_combo.setToolTip("The mask layer the brush, the eraser and the operations change")
        self.new_button = QToolButton()
        self.new_button.setText("New")
        self.new_button.setToolTip("Add an empty layer to paint")
        layer_row.addWidget(self.layer_combo, 1)
        layer_row.addWidget(self.new_button)
        form.addRow("Layer", layer_row)
        self.radius = LimitedSpinBox()
        self.radius.setSingleStep(RADIUS_STEP_MM)
        self.radius.setDecimals(1)
        self.radius.setSuffix(" mm")
        self.radius.setRange(MIN_RADIUS_MM, MAX_RADIUS_MM)
        self.radius.set_tip(
            "Brush radius ([ smaller, ] larger). The voxel under the cursor is always painted, however small "
            "the radius"
        )
        self.radius.limited.connect(
            lambda typed, used: self._say_limited(
                self.radius, "Brush radius", "the brush paints", typed, used
            )
        )
        form.addRow("Brush radius", self.radius)
        self.sphere = QCheckBox("3D sphere (else a disc in the view)")
        self.sphere.setToolTip("Paint a ball instead of a flat disc (Shift+B)")
        form.addRow("", self.sphere)
        hu_row = QHBoxLayout()
        self.hu_limit = QCheckBox("only")
        self.hu_limit.setToolTip("Paint only voxels whose HU lies in the range (threshold-limited paint)")
        self.hu_low = QDoubleSpinBox()
        self.hu_high = QDoubleSpinBox()
        for spin, value in ((self.hu_low, DEFAULT_HU_RANGE[0]), (self.hu_high, DEFAULT_HU_RANGE[1])):
            spin.setRange(-1024.0, 4000.0)
            spin.setDecimals(0)
            spin.setSuffix(" HU")
            spin.setValue(value)
            spin.setToolTip(
                "Inclusive HU range of threshold-limited paint (lower, upper); a bound typed past the other "
                "moves the other with it"
            )
            # the range is read once a value is entered, not at each digit typed: "500" typed over
            # 130 would otherwise pass through 5 and 50 and move the other bound on the way
            spin.setKeyboardTracking(False)
        hu_row.addWidget(self.hu_limit)
        hu_row.addWidget(self.hu_low)
        hu_row.addWidget(self.hu_high)
        form.addRow("HU range", hu_row)
        self.margin = LimitedSpinBox()
        self.margin.setDecimals(1)
        self.margin.setSuffix(" mm")
        self.margin.setRange(MIN_MARGIN_MM, MAX_MARGIN_MM)
        self.margin.setValue(DEFAULT_MARGIN_MM)
        self.margin.set_tip("Margin of Grow and Shrink")
        self.margin.limited.connect(
            lambda typed, used: self._say_limited(self.margin, "Margin", "Grow and Shrink use", typed, used)
        )
        form.addRow("Margin", self.margin)
        self.fill_in = QComboBox()
        for text, view in FILL_CHOICES:
            self.fill_in.addItem(text, None if view is None else view.value)
        self.fill_in.setToolTip(
            "Fill holes in 3D fills only holes closed on every side; in a view's slices it fills, slice by "
            "slice, what each slice encloses (a ring seen in that view, a hole erased on one slice)"
        )
        form.addRow("Fill holes", self.fill_in)
        layout.addLayout(form)
        grid = QGridLayout()
        for i, key in enumerate(("brush", "eraser", "fill_holes", "remove_islands", "grow", "shrink")):
            action = controller.actions[key]
            button = QToolButton()
            button.setDefaultAction(action)
            grid.addWidget(button, i // 2, i % 2)
        layout.addLayout(grid)
        layout.addStretch(1)
        self.setWidget(body)
        # every row, Fill holes and the operation buttons included, stays in view when the docks share an
        # 800 px high screen (the title bar is about 2 lines)
        self.setMinimumHeight(body.sizeHint().height() + 2 * self.fontMetrics().lineSpacing())
        self.layer_combo.currentIndexChanged.connect(self._on_layer_combo_changed)
        self.new_button.clicked.connect(self.new_layer)
        self.radius.valueChanged.connect(controller.set_brush_radius)
        self.sphere.toggled.connect(
            lambda on: controller.set_brush_shape(BrushShape.SPHERE if on else BrushShape.DISC)
        )
        self.hu_limit.toggled.connect(self._push_hu_range)
        self.hu_low.valueChanged.connect(lambda _v: self._push_hu_range(moved=self.hu_low))
        self.hu_high.valueChanged.connect(lambda _v: self._push_hu_range(moved=self.hu_high))
        controller.model_changed.connect(self.refresh)
        controller.brush_changed.connect(self.refresh)
        dock = getattr(controller.window, "layer_dock", None)
        if dock is not None:
            dock.list.currentItemChanged.connect(lambda *_a: self._on_layer_dock_current(dock.current_name()))
        self.refresh()

    def _say_limited(self, spin: LimitedSpinBox, field: str, uses: str, typed: float, used: float) -> None:
        """Say that a number typed out of a field's range was replaced by its limit (QA s31: "500" typed
        in the margin gave 5 mm without a word)."""
        unit = spin.suffix()
        self.controller.jobs.say(
            f"{field}: {typed:g}{unit} is outside its range ({spin.range_text()}); {uses} "
            f"{spin.textFromValue(used)}{unit}, as the field now shows.",
            warning=True,
        )

    def margin_mm(self) -> float:
        """The margin of Grow / Shrink, mm."""
        return float(self.margin.value())

    def fill_plane(self) -> PlaneAxis | None:
        """Where Fill holes works: None in 3D, else the source-grid plane of the view chosen."""
        value = self.fill_in.currentData()
        display = self.controller.window.state.display
        if value is None or display is None:
            return None
        return view_plane(display, ViewAxis(str(value)))

    def fill_where(self) -> str:
        """Where Fill holes works, in words for the status bar: "in 3D", "in axial slices"."""
        return self.fill_in.currentText().split(" (")[0]

    def set_fill_view(self, view: ViewAxis | None) -> None:
        """Choose Fill holes in 3D (None) or in the slices of a view."""
        self.fill_in.setCurrentIndex(self.fill_in.findData(None if view is None else view.value))

    def refresh(self) -> None:
        """Show the controller's values (signals blocked)."""
        ctrl = self.controller
        names = list(ctrl.window.case.case.layers)
        current = ctrl.edit_layer_name()
        widgets = (self.layer_combo, self.radius, self.sphere)
        for w in widgets:
            w.blockSignals(True)
        if [self.layer_combo.itemText(i) for i in range(self.layer_combo.count())] != names:
            self.layer_combo.clear()
            self.layer_combo.addItems(names)
        self.layer_combo.setCurrentIndex(names.index(current) if current in names else -1)
        self.radius.setValue(ctrl.brush.radius_mm)
        self.sphere.setChecked(ctrl.brush.shape == BrushShape.SPHERE)
        for w in widgets:
            w.blockSignals(False)

    def new_layer(self) -> str | None:
        """Add an empty custom layer on the volume's grid and select it; returns its name."""
        volume = self.controller.volume()
        if volume is None:
            self.controller.jobs.say("Open a CT first.")
            return None
        layers = self.controller.window.case.case.layers
        n = 1
        while f"Mask {n}" in layers:
            n += 1
        name = f"Mask {n}"
        layer = MaskLayer.new(
            name, LayerKind.CUSTOM, Mask.empty(volume.shape), volume.metadata.series_uid or ""
        )
        self.controller.window.case.push(AddLayer(layer))
        self.controller.set_edit_layer(name)
        return name

    def _on_layer_combo_changed(self, index: int) -> None:
        self.controller.set_edit_layer(self.layer_combo.itemText(index) if index >= 0 else None)

    def _on_layer_dock_current(self, name: str | None) -> None:
        if name is not None:
            self.controller.set_edit_layer(name)

    def _push_hu_range(self, *_args: object, moved: QDoubleSpinBox | None = None) -> None:
        """Give the controller the range shown; a bound ``moved`` past the other takes the other along.

        QA s16 #12: the boxes kept 500 / 200 while the brush painted 200 - 500. QA s17 #8: swapping the two
        turned 100 / 400, then a lower 2000, then an upper 2500, into 400 - 2500 instead of 2000 - 2500.
        """
        low, high = float(self.hu_low.value()), float(self.hu_high.value())
        if low > high:
            follower = self.hu_low if moved is self.hu_high else self.hu_high
            value = high if follower is self.hu_low else low
            follower.blockSignals(True)
            follower.setValue(value)
            follower.blockSignals(False)
            low = high = value
            which = "lower" if follower is self.hu_low else "upper"
            use = "the brush paints only voxels in it" if self.hu_limit.isChecked() else "used once ticked"
            self.controller.jobs.say(
                f"HU range: the {which} bound was moved to {value:.0f} HU to keep the range in order; type "
                f"the other bound now ({use})."
            )
        self.controller.set_hu_range((low, high) if self.hu_limit.isChecked() else None)
