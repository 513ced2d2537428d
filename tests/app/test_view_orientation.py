"""Each 2D view shows a marker where its LPS position projects, in radiological orientation.

Markers (see conftest.MARKERS) are balls at known LPS positions with distinct HU. The views are
grabbed as pixels; each marker is found by its grey level and must sit (a) on the correct side of
the screen — patient's left on the screen's right in axial and coronal, anterior up in axial,
superior up in sagittal and coronal — and (b) within one voxel of where its LPS position projects.
Grids: head-first supine (LPS), feet-first, prone, PIR-stored, and an oblique one (resampled).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from app.display_geometry import ViewAxis, apply_window
from tests.app.conftest import MARKERS, marker_volume

#: a wide window keeps every marker's grey level distinct: grey = (HU + 500) * 255 / 3000
TEST_WIDTH_HU, TEST_LEVEL_HU = 3000.0, 1000.0
GREY_TOLERANCE = 6

ORIENTATIONS = {
    "HFS (LPS)": np.eye(3),
    "FFS": np.array([[-1.0, 0, 0], [0, 1, 0], [0, 0, -1]]).T,
    "HFP (prone)": np.array([[-1.0, 0, 0], [0, -1, 0], [0, 0, 1]]).T,
    "PIR (NIfTI)": np.array([[0.0, 1, 0], [0, 0, -1], [-1, 0, 0]]).T,
}
# columns of the direction matrix: unit LPS directions of +col, +row, +slice (the arrays above are
# written row-wise per axis and transposed)

#: the bare views: the tool packages' overlays would cover the pixels probed here
WINDOW_EXTENSIONS = False


def grab_grey(view: object) -> np.ndarray:
    """The view's pixels as (h, w, 3) uint8."""
    image = view.grab().toImage().convertToFormat(view.grab().toImage().Format.Format_RGB888)  # type: ignore[attr-defined]
    w, h = image.width(), image.height()
    buf = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.bytesPerLine() * h)
    return buf.reshape(h, image.bytesPerLine())[:, : 3 * w].reshape(h, w, 3).copy()


def find_marker(rgb: np.ndarray, hu: float) -> tuple[float, float] | None:
    """Centroid (x, y) in widget pixels of grey pixels at the marker's grey level, None if absent."""
    grey = int(apply_window(np.array([hu]), TEST_WIDTH_HU, TEST_LEVEL_HU)[0])
    r, g, b = (rgb[..., i].astype(int) for i in range(3))
    neutral = (np.abs(r - g) < 4) & (np.abs(g - b) < 4)
    hit = neutral & (np.abs(g - grey) <= GREY_TOLERANCE)
    if hit.sum() < 4:
        return None
    ys, xs = np.nonzero(hit)
    return float(xs.mean()), float(ys.mean())


def show(window: object, direction: np.ndarray, qtbot: object) -> None:
    volume = marker_volume(direction)
    window.opener.show_volume(volume)  # type: ignore[attr-defined]
    window.state.set_window(TEST_WIDTH_HU, TEST_LEVEL_HU)  # type: ignore[attr-defined]
    qtbot.wait(10)  # type: ignore[attr-defined]


def check_marker(view: object, name: str, max_error_px: float) -> tuple[float, float]:
    centre_lps, hu = MARKERS[name]
    view.state.set_crosshair(centre_lps)  # type: ignore[attr-defined]
    found = find_marker(grab_grey(view), hu)
    assert found is not None, f"{name} marker not visible in the {view.view} view"  # type: ignore[attr-defined]
    expected = view.lps_to_widget(centre_lps)  # type: ignore[attr-defined]
    err = np.hypot(found[0] - expected.x(), found[1] - expected.y())
    assert err <= max_error_px, f"{name} marker at {found}, expected ({expected.x():.1f}, {expected.y():.1f})"
    return found


def px_per_mm(view: object) -> float:
    d = view.state.display  # type: ignore[attr-defined]
    _rows, cols = d.slice_array(view.view, 0).shape  # type: ignore[attr-defined]
    _, dc = d.pixel_spacing_mm(view.view)  # type: ignore[attr-defined]
    return float(view.image_rect().width() / (cols * dc))  # type: ignore[attr-defined]


@pytest.mark.parametrize("orientation", list(ORIENTATIONS))
def test_markers_project_in_radiological_orientation(window: object, qtbot: object, orientation: str) -> None:
    show(window, ORIENTATIONS[orientation], qtbot)
    views = window.views  # type: ignore[attr-defined]
    axial, coronal, sagittal = views[ViewAxis.AXIAL], views[ViewAxis.CORONAL], views[ViewAxis.SAGITTAL]
    # one voxel (at most 2 mm here) plus a pixel of rounding, in screen pixels
    tol = {v: 2.0 * px_per_mm(v) + 1.5 for v in (axial, coronal, sagittal)}
    centre_x = {v: v.width() / 2.0 for v in (axial, coronal, sagittal)}
    centre_y = {v: v.height() / 2.0 for v in (axial, coronal, sagittal)}

    # axial: patient's left on the screen's right, anterior up
    left = check_marker(axial, "left", tol[axial])
    right = check_marker(axial, "right", tol[axial])
    assert left[0] > centre_x[axial] > right[0]
    anterior = check_marker(axial, "anterior", tol[axial])
    assert anterior[1] < centre_y[axial]
    # 30 mm from the centre, on screen
    assert left[0] - right[0] == pytest.approx(60.0 * px_per_mm(axial), abs=tol[axial])

    # coronal: patient's left on the right, superior up
    left = check_marker(coronal, "left", tol[coronal])
    right = check_marker(coronal, "right", tol[coronal])
    assert left[0] > centre_x[coronal] > right[0]
    superior = check_marker(coronal, "superior", tol[coronal])
    assert superior[1] < centre_y[coronal]

    # sagittal: anterior on the left, superior up
    anterior = check_marker(sagittal, "anterior", tol[sagittal])
    assert anterior[0] < centre_x[sagittal]
    superior = check_marker(sagittal, "superior", tol[sagittal])
    assert superior[1] < centre_y[sagittal]

    letters = window.state.display.edge_letters(ViewAxis.AXIAL)  # type: ignore[attr-defined]
    assert (letters["left"], letters["right"], letters["top"], letters["bottom"]) == ("R", "L", "A", "P")


def grey_at(view: object, centre_lps: tuple[float, float, float]) -> tuple[int, float, float]:
    """Grey level (3x3 median) of the view's pixels where an LPS point projects, and that point."""
    view.state.set_crosshair(centre_lps)  # type: ignore[attr-defined]
    p = view.lps_to_widget(centre_lps)  # type: ignore[attr-defined]
    rgb = grab_grey(view)
    x, y = round(p.x()), round(p.y())
    # skip the crosshair's own lines: sample a ring 3 px around the centre, off the lines
    samples = [rgb[y + dy, x + dx, 1] for dy in (-3, 3) for dx in (-3, 3)]
    return int(np.median(samples)), p.x(), p.y()


def test_oblique_grid_is_resampled_and_markers_still_project(window: object, qtbot: object) -> None:
    rotation = Rotation.from_euler("zx", [20.0, 12.0], degrees=True).as_matrix()
    show(window, rotation, qtbot)
    assert window.state.display.resampled  # type: ignore[attr-defined]
    axial = window.views[ViewAxis.AXIAL]  # type: ignore[attr-defined]
    coronal = window.views[ViewAxis.CORONAL]  # type: ignore[attr-defined]
    # trilinear resampling keeps a 4 mm ball's core within a few HU of its value near the centre
    tol_grey = 12
    for view, name, side in (
        (axial, "left", "right"),
        (axial, "right", "left"),
        (coronal, "superior", "top"),
        (coronal, "left", "right"),
    ):
        centre_lps, hu = MARKERS[name]
        grey, x, y = grey_at(view, centre_lps)
        expected = int(apply_window(np.array([hu]), TEST_WIDTH_HU, TEST_LEVEL_HU)[0])
        assert abs(grey - expected) <= tol_grey, f"{name} marker: grey {grey}, expected {expected}"
        if side == "right":
            assert x > view.width() / 2 + 20
        elif side == "left":
            assert x < view.width() / 2 - 20
        else:
            assert y < view.height() / 2 - 20
        # and the mirror position (other side of the screen) does not show it
        mirror_x = view.width() - x if side in ("left", "right") else x
        mirror_y = view.height() - y if side == "top" else y
        rgb = grab_grey(view)
        assert abs(int(rgb[round(mirror_y) + 3, round(mirror_x) + 3, 1]) - expected) > tol_grey
