"""The window's 3D menu, filled by the 3D view (:class:`app.view3d.View3D`): volume rendering, the bone
surface's threshold, the camera reset, centring on the crosshair, and seeing through the bone.

Moved out of app/view3d.py to keep it under the house's file length; the actions call the view's public
methods, so what each does is the view's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QMenu

from app.view3d_aids import CENTRED_FIELD_MM

if TYPE_CHECKING:
    from app.view3d import View3D

#: the threshold dialog's range (HU): air to dense cortex and beyond
THRESHOLD_RANGE_HU = (-1000, 3000)


def fill_menu(view: View3D, menu: QMenu, default_threshold_hu: float) -> None:
    """Add the 3D view's actions to ``menu`` (their parent is ``view``)."""
    vr = QAction("Volume rendering", view)
    vr.setCheckable(True)
    # Shift+V: V alone is the Vertebra tool (an ambiguous shortcut fires neither)
    vr.setShortcut("Shift+V")
    vr.setToolTip("Ray-cast the CT (slow on software OpenGL: CPU mapper, coarse while rotating)")
    vr.toggled.connect(view.set_volume_rendering)
    menu.addAction(vr)
    thr = QAction("Bone threshold…", view)
    thr.setToolTip(f"HU of the bone surface (default {default_threshold_hu:.0f})")
    thr.triggered.connect(lambda: ask_bone_threshold(view))
    menu.addAction(thr)
    reset = QAction("Reset camera (anterior view)", view)
    reset.triggered.connect(view.reset_camera)
    menu.addAction(reset)
    centre = QAction("Centre on the crosshair", view)
    centre.setShortcut("Shift+C")
    centre.setToolTip(f"Turn the 3D camera to the crosshair, a {CENTRED_FIELD_MM:g} mm field (the target)")
    centre.triggered.connect(view.centre_on_crosshair)
    menu.addAction(centre)
    menu.addAction(view.see_through.make_action(view, view.set_bone_see_through))


def ask_bone_threshold(view: View3D) -> None:
    """Ask the operator for the bone surface's threshold (HU) and rebuild the surface at it."""
    low, high = THRESHOLD_RANGE_HU
    value, ok = QInputDialog.getInt(
        view, "Bone surface", "Threshold (HU):", int(view.bone_threshold_hu), low, high, 10
    )
    if ok:
        view.set_bone_threshold(float(value))
