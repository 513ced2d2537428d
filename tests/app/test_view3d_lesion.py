"""A lesion inside a bone shows in the 3D view.

QA s22 D (item D6): case7's blastic lesion (3.06 mL, in a vertebral body) could not be seen in 3D: the
opaque bone surface (>= 200 HU) hid it, and the bone turned see-through by itself only for needles. Now
it does so once the case holds a lesion inside a bone (since session 23 not for one outside bone, which the
surface does not hide: app.view3d_see_through), and the operator's choice still wins. Checked on the rendered
picture (vtkWindowToImageFilter): pixels of the lesion's colour, which an opaque surface or a black
screen would not give.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from imaging.mask import Mask
from planning.commands import AddLayer
from planning.model import LayerKind, MaskLayer
from tests.app.test_view3d import bone_blocks_volume, image_rgb

#: a pure green lesion colour: neither the ivory bone, the dark background nor the crosshair's colour
LESION_RGB = (0, 220, 0)


def test_a_lesion_inside_the_bone_shows_through_it_and_the_operator_can_turn_it_back(
    window3d: Any, qtbot: Any
) -> None:
    win = window3d
    view = win.view3d
    volume = bone_blocks_volume()
    win.opener.show_volume(volume)
    view.wait_for_surface()

    def lesion_pixels() -> int:
        rgb = image_rgb(view.grab_image()).astype(int)
        return int(
            ((rgb[..., 1] > 90) & (rgb[..., 1] > 2 * rgb[..., 0]) & (rgb[..., 1] > 2 * rgb[..., 2])).sum()
        )

    assert view.bone_actor.GetProperty().GetOpacity() == 1.0
    assert lesion_pixels() == 0
    # a ball of radius 5 voxels (10 mm) wholly inside the left block (slices 10-29, rows 20-39, cols 40-54)
    idx = np.indices(volume.shape)
    ball = ((idx[0] - 20) ** 2 + (idx[1] - 30) ** 2 + (idx[2] - 47) ** 2) <= 25
    layer = MaskLayer("Lesion 1", LayerKind.LESION, Mask.from_full(ball), LESION_RGB)
    win.case.push(AddLayer(layer))
    win.case.undo_stack.setClean()  # closing must not ask about saving, even if a check below fails
    qtbot.wait(300)  # the 3D view rebuilds its layer surfaces once the changes pause
    assert view.see_through_action.isChecked() and view.bone_actor.GetProperty().GetOpacity() < 0.5
    seen = lesion_pixels()
    view.see_through_action.trigger()  # the operator wants it opaque: the lesion is hidden again
    assert view.bone_see_through is False and view.bone_actor.GetProperty().GetOpacity() == 1.0
    hidden = lesion_pixels()
    assert seen > 50 and hidden < seen / 10, (seen, hidden)


def test_a_lesion_outside_the_bone_leaves_the_bone_opaque(window3d: Any, qtbot: Any) -> None:
    """Session 22 turned the bone see-through for any lesion; one in the soft tissue beside the bone is not
    hidden by the surface, and the bone stays opaque for it (app.view3d_see_through). A second lesion
    inside the left block then turns it see-through."""
    win = window3d
    view = win.view3d
    volume = bone_blocks_volume()
    win.opener.show_volume(volume)
    view.wait_for_surface()
    idx = np.indices(volume.shape)
    # soft tissue (40 HU) between the two blocks, clear of both: slices 16-24, rows 26-34, cols 25-33
    outside = ((idx[0] - 20) ** 2 + (idx[1] - 30) ** 2 + (idx[2] - 29) ** 2) <= 16
    assert (volume.array[outside] == 40).all()
    win.case.push(AddLayer(MaskLayer("Lesion 1", LayerKind.LESION, Mask.from_full(outside), LESION_RGB)))
    win.case.undo_stack.setClean()
    qtbot.wait(300)
    assert not view.see_through_action.isChecked() and view.bone_actor.GetProperty().GetOpacity() == 1.0
    inside = ((idx[0] - 20) ** 2 + (idx[1] - 30) ** 2 + (idx[2] - 47) ** 2) <= 25  # in the left block
    win.case.push(AddLayer(MaskLayer("Lesion 2", LayerKind.LESION, Mask.from_full(inside), LESION_RGB)))
    win.case.undo_stack.setClean()
    qtbot.wait(300)
    assert view.see_through_action.isChecked() and view.bone_actor.GetProperty().GetOpacity() < 0.5


def test_the_see_through_rule_follows_the_bone_threshold(window3d: Any, qtbot: Any) -> None:
    """A blastic lesion of 300 HU in the soft tissue between the blocks: the surface at 400 HU does not wrap
    it (the bone stays opaque, the lesion shows), the surface at 200 HU does (the bone turns see-through,
    and the lesion shows through it), and back at 400 HU the bone is opaque again. Until session 24 the
    rule was not judged again when the threshold changed: the bone stayed opaque at 200 HU, hiding it."""
    win = window3d
    view = win.view3d
    blocks = bone_blocks_volume()
    array = blocks.array.copy()
    idx = np.indices(array.shape)
    r2 = (idx[0] - 20) ** 2 + (idx[1] - 30) ** 2 + (idx[2] - 29) ** 2
    assert (array[r2 <= 16] == 40).all()  # between the blocks, clear of both
    array[r2 <= 16] = 300  # the lesion's dense region, radius 4 voxels (8 mm)
    volume = blocks.with_array(array)
    lesion = Mask.from_full(r2 <= 9)  # its mask, radius 3 voxels, inside the dense region
    win.opener.show_volume(volume)
    view.wait_for_surface()
    view.set_bone_threshold(400.0)
    view.wait_for_surface()
    win.case.push(AddLayer(MaskLayer("Lesion 1", LayerKind.LESION, lesion, LESION_RGB)))
    win.case.undo_stack.setClean()  # closing must not ask about saving, even if a check below fails

    def settle(threshold_hu: float) -> int:
        view.set_bone_threshold(threshold_hu)
        view.wait_for_surface()
        qtbot.wait(300)  # the 3D view draws once the changes pause
        return _lesion_pixels(view)

    qtbot.wait(300)
    assert not view.see_through_action.isChecked() and view.bone_actor.GetProperty().GetOpacity() == 1.0
    assert _lesion_pixels(view) > 50  # not wrapped by the surface at 400 HU: seen through no bone
    seen = settle(200.0)
    assert view.see_through_action.isChecked() and view.bone_actor.GetProperty().GetOpacity() < 0.5
    assert seen > 50
    settle(400.0)
    assert not view.see_through_action.isChecked() and view.bone_actor.GetProperty().GetOpacity() == 1.0
    settle(200.0)
    assert view.see_through_action.isChecked()
    view.see_through_action.trigger()  # the operator wants it opaque: the surface at 200 HU hides it
    qtbot.wait(300)
    hidden = _lesion_pixels(view)
    assert view.bone_see_through is False and hidden < seen / 10, (seen, hidden)


def _lesion_pixels(view: Any) -> int:
    """Pixels of the lesion's green in the rendered 3D view (none on a black screen)."""
    rgb = image_rgb(view.grab_image()).astype(int)
    return int(((rgb[..., 1] > 90) & (rgb[..., 1] > 2 * rgb[..., 0]) & (rgb[..., 1] > 2 * rgb[..., 2])).sum())
