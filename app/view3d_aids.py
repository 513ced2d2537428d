"""Reading aids of the 3D view: the patient-orientation cube and centring the camera on a point.

World coordinates are LPS mm (+x patient left, +y posterior, +z superior), so the cube's faces are
labelled L / R on x, P / A on y and S / I on z, and it turns with the camera: the operator always
sees which way the patient lies, as the letters at the 2D views' edges say.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

#: the camera's vertical field of view (degrees), VTK's default
VIEW_ANGLE_DEG = 30.0
#: field of view (mm, vertically) when the camera is centred on a point: about one vertebra and its
#: neighbours, the needles' entries included
CENTRED_FIELD_MM = 140.0

__all__ = ["CENTRED_FIELD_MM", "VIEW_ANGLE_DEG", "centre_camera_on", "orientation_marker", "view_field_mm"]


def orientation_marker(interactor: Any) -> Any:
    """A labelled cube in the lower-left corner that turns with the camera (LPS faces); returned enabled.

    The caller keeps the returned widget alive (VTK does not).
    """
    from vtkmodules.vtkInteractionWidgets import vtkOrientationMarkerWidget
    from vtkmodules.vtkRenderingAnnotation import vtkAnnotatedCubeActor

    cube = vtkAnnotatedCubeActor()
    for face, text in (
        ("XPlus", "L"),
        ("XMinus", "R"),
        ("YPlus", "P"),
        ("YMinus", "A"),
        ("ZPlus", "S"),
        ("ZMinus", "I"),
    ):
        getattr(cube, f"Set{face}FaceText")(text)
    cube.SetFaceTextScale(0.65)
    cube.GetCubeProperty().SetColor(0.25, 0.28, 0.34)
    cube.GetTextEdgesProperty().SetColor(0.6, 0.65, 0.72)
    for getter in ("GetXPlusFaceProperty", "GetXMinusFaceProperty"):
        getattr(cube, getter)().SetColor(1.0, 0.55, 0.55)
    for getter in ("GetYPlusFaceProperty", "GetYMinusFaceProperty"):
        getattr(cube, getter)().SetColor(0.55, 1.0, 0.55)
    for getter in ("GetZPlusFaceProperty", "GetZMinusFaceProperty"):
        getattr(cube, getter)().SetColor(0.6, 0.75, 1.0)
    widget = vtkOrientationMarkerWidget()
    widget.SetOrientationMarker(cube)
    widget.SetInteractor(interactor)
    widget.SetViewport(0.0, 0.0, 0.16, 0.16)
    widget.SetEnabled(1)
    widget.InteractiveOff()
    return widget


def centre_camera_on(renderer: Any, point_lps: Sequence[float], field_mm: float = CENTRED_FIELD_MM) -> None:
    """Turn the camera's focus to ``point_lps`` and move it so ``field_mm`` fills the view's height,
    keeping the direction it looks from and its up vector."""
    camera = renderer.GetActiveCamera()
    focal = [float(v) for v in camera.GetFocalPoint()]
    position = [float(v) for v in camera.GetPosition()]
    look = [p - f for p, f in zip(position, focal, strict=True)]
    norm = math.sqrt(sum(v * v for v in look)) or 1.0
    camera.SetViewAngle(VIEW_ANGLE_DEG)
    distance = (field_mm / 2.0) / math.tan(math.radians(VIEW_ANGLE_DEG / 2.0))
    camera.SetFocalPoint(*(float(v) for v in point_lps))
    camera.SetPosition(*(float(c) + distance * v / norm for c, v in zip(point_lps, look, strict=True)))
    renderer.ResetCameraClippingRange()


def view_field_mm(renderer: Any) -> float:
    """Height (mm) the view covers at the camera's focal point (perspective or parallel projection)."""
    camera = renderer.GetActiveCamera()
    if camera.GetParallelProjection():
        return 2.0 * float(camera.GetParallelScale())
    distance = float(camera.GetDistance())
    return 2.0 * distance * math.tan(math.radians(float(camera.GetViewAngle()) / 2.0))
