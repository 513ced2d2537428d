"""The 3D view's close-up surface: full resolution around the point looked at, in the same LPS geometry.

The scene is defined in LPS mm and sampled on grids of several orientations: a bone block with known
faces, a thin plate one voxel thick on an odd row of the display grid (the whole-volume surface,
which samples every second voxel of this 200-voxel-wide grid, skips it: a thin cortex lost the same
way), and a rod outside the close-up box. Bone is 400 HU in 0 HU tissue, so the 200 HU bone threshold
lies halfway and a face is exactly where the voxels change (midway between the last bone voxel centre
and the first tissue one).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from imaging.volume import Volume, affine_from_geometry

BONE_HU = 400
TISSUE_HU = 0
THRESHOLD_HU = 200.0  # the view's default (app.view3d.DEFAULT_BONE_THRESHOLD_HU), halfway
#: (slice, row, col) spacing and shape: 200 columns, so the coarse surface strides by 2 (192 limit)
SPACING_MM = (1.25, 1.1, 0.9)
SHAPE = (80, 90, 200)
#: the block's extent (mm) along x, y, z
BLOCK_LPS = ((20.0, 60.0), (-20.0, 20.0), (-20.0, 20.0))
#: the thin plate: x and z extent (mm), one voxel thick in y near PLATE_Y_MM
PLATE_X_MM, PLATE_Z_MM, PLATE_Y_MM = (-35.0, -5.0), (-15.0, 15.0), -15.0
ROD_X_MM, ROD_RADIUS_MM = -70.0, 6.0
#: a face found by the surfaces must be this close to the truth; a half-voxel slip of this grid is
#: 0.45-0.63 mm, so it fails
FACE_TOLERANCE_MM = 0.3

HEAD_FIRST_SUPINE = np.eye(3)
HEAD_FIRST_PRONE = np.diag([-1.0, -1.0, 1.0])  # columns run to the patient's right, rows anterior


def scene_volume(direction: npt.ArrayLike) -> Volume:
    """The scene (block, plate, rod) on a grid of ``direction`` centred on the LPS origin."""
    d = np.asarray(direction, dtype=np.float64)
    centre_index = (np.asarray(SHAPE, dtype=np.float64) - 1) / 2.0
    m = affine_from_geometry((0.0, 0.0, 0.0), SPACING_MM, d)
    i2l = affine_from_geometry(-(m[:3, :3] @ centre_index), SPACING_MM, d)
    idx = np.stack(np.meshgrid(*[np.arange(n) for n in SHAPE], indexing="ij"), axis=-1).reshape(-1, 3)
    lps = idx @ i2l[:3, :3].T + i2l[:3, 3]
    x, y, z = lps[:, 0], lps[:, 1], lps[:, 2]
    bone = np.ones(len(lps), dtype=bool)
    for k, (lo, hi) in enumerate(BLOCK_LPS):
        bone &= (lps[:, k] >= lo) & (lps[:, k] <= hi)
    ys = np.unique(np.round(y, 6))
    plate_y = ys[np.argmin(np.abs(ys - PLATE_Y_MM))]
    bone |= (
        (np.abs(y - plate_y) < 1e-3)
        & (x >= PLATE_X_MM[0])
        & (x <= PLATE_X_MM[1])
        & (z >= PLATE_Z_MM[0])
        & (z <= PLATE_Z_MM[1])
    )
    bone |= ((x - ROD_X_MM) ** 2 + y**2 <= ROD_RADIUS_MM**2) & (np.abs(z) <= 30.0)
    values = np.where(bone, BONE_HU, TISSUE_HU).astype(np.int16)
    return Volume(values.reshape(SHAPE), i2l)


def true_faces(volume: Volume) -> list[tuple[float, float]]:
    """The block's faces (mm) along x, y, z: midway between its outermost voxel centres and the next."""
    centres = volume.index_to_lps_points(
        np.stack(np.meshgrid(*[np.arange(n) for n in SHAPE], indexing="ij"), axis=-1).reshape(-1, 3)
    )
    faces = []
    for k, (lo, hi) in enumerate(BLOCK_LPS):
        c = np.unique(np.round(centres[:, k], 6))
        first, last = c[c >= lo].min(), c[c <= hi].max()
        faces.append(((first + c[c < lo].max()) / 2.0, (last + c[c > hi].min()) / 2.0))
    return faces


def triangles(poly: Any) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Points (n, 3) and triangles (m, 3) of a flying-edges polydata (triangles only)."""
    from vtkmodules.util.numpy_support import vtk_to_numpy

    offsets = vtk_to_numpy(poly.GetPolys().GetOffsetsArray())
    assert np.all(np.diff(offsets) == 3)
    pts = vtk_to_numpy(poly.GetPoints().GetData()).astype(np.float64)
    conn = vtk_to_numpy(poly.GetPolys().GetConnectivityArray()).astype(np.int64).reshape(-1, 3)
    return pts, conn


def cell_centroids(poly: Any) -> npt.NDArray[np.float64]:
    """Centroid (mm) of every polygon (a cut leaves triangles and quadrilaterals)."""
    from vtkmodules.util.numpy_support import vtk_to_numpy

    pts = vtk_to_numpy(poly.GetPoints().GetData()).astype(np.float64)
    conn = vtk_to_numpy(poly.GetPolys().GetConnectivityArray()).astype(np.int64)
    offsets = vtk_to_numpy(poly.GetPolys().GetOffsetsArray()).astype(np.int64)
    sums = np.add.reduceat(pts[conn], offsets[:-1], axis=0)
    return sums / np.diff(offsets)[:, None]


def inside(points: npt.NDArray[np.float64], bounds: tuple[float, ...], margin_mm: float) -> npt.NDArray[Any]:
    lo = np.array(bounds[0::2]) + margin_mm
    hi = np.array(bounds[1::2]) - margin_mm
    return np.all((points > lo) & (points < hi), axis=1)


def density_per_mm2(poly: Any, bounds: tuple[float, ...]) -> float:
    """Triangles per mm² of surface, over the triangles whose centroid lies inside ``bounds``."""
    pts, tri = triangles(poly)
    a, b, c = pts[tri[:, 0]], pts[tri[:, 1]], pts[tri[:, 2]]
    keep = inside((a + b + c) / 3.0, bounds, 0.0)
    area = 0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=1)[keep].sum()
    return float(keep.sum() / area)


def block_extent(poly: Any) -> list[tuple[float, float]]:
    """Min and max x, y, z (mm) of the surface's points on the block (x > 10 mm: not plate or rod)."""
    pts, _ = triangles(poly)
    pts = pts[pts[:, 0] > 10.0]
    return [(float(pts[:, k].min()), float(pts[:, k].max())) for k in range(3)]


@pytest.mark.parametrize("direction", [HEAD_FIRST_SUPINE, HEAD_FIRST_PRONE], ids=["supine", "prone"])
def test_closeup_faces_lie_on_the_block_faces_and_the_coarse_surface_is_cut_out(
    direction: npt.NDArray[np.float64],
) -> None:
    from app.display_geometry import reorient_for_display
    from app.view3d_actors import SURFACE_MAX_DIM, extract_surface, image_data_from_display
    from app.view3d_closeup import build_closeup

    volume = scene_volume(direction)
    display = reorient_for_display(volume)
    coarse = extract_surface(image_data_from_display(display, SURFACE_MAX_DIM), THRESHOLD_HU)
    result = build_closeup(display, coarse, (40.0, 0.0, 0.0), THRESHOLD_HU)
    assert result is not None
    assert result.box.step == 1  # the data's own spacing
    box = result.box.bounds_lps
    assert inside(np.array([[20.0, -20.0, -20.0], [60.0, 20.0, 20.0]]), box, 1.0).all()  # block inside
    truth = true_faces(volume)
    found = block_extent(result.fine)
    for axis in range(3):
        for side in range(2):
            assert found[axis][side] == pytest.approx(truth[axis][side], abs=FACE_TOLERANCE_MM), (axis, side)
    # the coarse surface strides by 2: its faces lie within its own sample spacing of the same truth
    coarse_found = block_extent(coarse)
    coarse_spacing_mm = 2 * np.array(SPACING_MM)[[2, 1, 0]]  # x, y, z
    for axis in range(3):
        for side in range(2):
            assert abs(coarse_found[axis][side] - truth[axis][side]) <= coarse_spacing_mm[axis] / 2 + 1e-6
    # the coarse surface is cut away inside the box and kept outside it (the rod at x -70 mm)
    centroids = cell_centroids(result.coarse_outside)
    assert not inside(centroids, box, 1e-3).any()
    rod = np.abs(centroids[:, 0] - ROD_X_MM) <= ROD_RADIUS_MM + 1.0
    assert rod.sum() > 100
    assert inside(cell_centroids(coarse), box, 1.0).sum() > 100  # there was a coarse block to cut


def test_closeup_box_is_clamped_and_strides_thin_data() -> None:
    from app.display_geometry import reorient_for_display
    from app.view3d_closeup import closeup_box

    display = reorient_for_display(scene_volume(HEAD_FIRST_SUPINE))
    box = closeup_box(display, (85.0, 0.0, 0.0), 90.0)
    assert box is not None
    assert box.bounds_lps[1] == pytest.approx(89.55)  # the last column's centre (x = 99.5 x 0.9)
    assert box.bounds_lps[0] == pytest.approx(40.0, abs=0.9)
    assert closeup_box(display, (300.0, 0.0, 0.0), 90.0) is None  # misses the volume
    strided = closeup_box(display, (0.0, 0.0, 0.0), 90.0, max_dim=40)
    assert strided is not None and strided.step == 3  # 102 columns in 90 mm, at most 40 a side
    assert max(strided.shape) <= 40


def test_closeup_box_shrinks_to_a_triangle_limit() -> None:
    """Software OpenGL's limit: a fine surface over it is extracted again in a smaller box."""
    from app.display_geometry import reorient_for_display
    from app.view3d_actors import SURFACE_MAX_DIM, extract_surface, image_data_from_display
    from app.view3d_closeup import CLOSEUP_BOX_MM, CLOSEUP_MIN_BOX_MM, build_closeup

    display = reorient_for_display(scene_volume(HEAD_FIRST_SUPINE))
    coarse = extract_surface(image_data_from_display(display, SURFACE_MAX_DIM), THRESHOLD_HU)
    centre = (0.0, 0.0, 0.0)  # the plate and the block's near end in a 90 mm box, only the plate in 50
    unlimited = build_closeup(display, coarse, centre, THRESHOLD_HU)
    assert unlimited is not None and unlimited.box_mm == CLOSEUP_BOX_MM
    limit = unlimited.fine.GetNumberOfPolys() // 2
    limited = build_closeup(display, coarse, centre, THRESHOLD_HU, max_triangles=limit)
    assert limited is not None
    assert CLOSEUP_MIN_BOX_MM <= limited.box_mm < CLOSEUP_BOX_MM
    n = limited.fine.GetNumberOfPolys()
    assert n <= limit or limited.box_mm == CLOSEUP_MIN_BOX_MM  # under the limit, or as small as allowed
    assert n < unlimited.fine.GetNumberOfPolys()
    b = limited.box.bounds_lps
    assert b[1] - b[0] == pytest.approx(limited.box_mm, abs=2 * SPACING_MM[2])  # x: columns
    # the coarse surface is cut along the smaller box
    assert not inside(cell_centroids(limited.coarse_outside), b, 1e-3).any()


@pytest.mark.realdata
def test_closeup_on_the_chest_ct_is_finer_and_lies_on_the_coarse_surface(chest_ct: Volume) -> None:
    """The T9 body of the real chest CT (512x512x141, 0.98 mm pixels, 2 mm slices: the coarse surface
    strides by 3, 2.9 mm in-plane and 6 mm between slices): the close-up has many times the facets per
    mm² and lies on the coarse surface, within half a coarse in-plane step for most of it."""
    from vtkmodules.util.numpy_support import vtk_to_numpy
    from vtkmodules.vtkFiltersCore import vtkImplicitPolyDataDistance

    from app.display_geometry import reorient_for_display
    from app.view3d_actors import SURFACE_MAX_DIM, extract_surface, image_data_from_display, surface_step
    from app.view3d_closeup import build_closeup

    display = reorient_for_display(chest_ct)
    step = surface_step(display, SURFACE_MAX_DIM)
    coarse = extract_surface(image_data_from_display(display, SURFACE_MAX_DIM), THRESHOLD_HU)
    result = build_closeup(display, coarse, (-10.0, 125.0, -68.5), THRESHOLD_HU)  # T9 body
    assert result is not None and result.box.step == 1 and step == 3
    box = result.box.bounds_lps
    assert density_per_mm2(result.fine, box) > 4.0 * density_per_mm2(coarse, box)
    distance = vtkImplicitPolyDataDistance()
    distance.SetInput(coarse)
    points = vtk_to_numpy(result.fine.GetPoints().GetData())[::20]
    gap_mm = np.abs([distance.EvaluateFunction(*p) for p in points.tolist()])
    assert float(np.median(gap_mm)) < step * display.spacing_mm[2] / 2.0


# -- in the window -------------------------------------------------------------------------------
def image_rgb(image: Any) -> npt.NDArray[np.uint8]:
    img = image.convertToFormat(image.Format.Format_RGB888)
    w, h = img.width(), img.height()
    buf = np.frombuffer(img.constBits(), dtype=np.uint8, count=img.bytesPerLine() * h)
    return buf.reshape(h, img.bytesPerLine())[:, : 3 * w].reshape(h, w, 3).copy()


def bone_pixels_at(view: Any, rgb: npt.NDArray[np.uint8], point_lps: tuple[float, float, float]) -> int:
    """Bone-coloured pixels (ivory: red bright and not below blue) in a 9x9 patch around a projected point."""
    ren = view.renderer
    ren.SetWorldPoint(*point_lps, 1.0)
    ren.WorldToDisplay()
    x, y, _ = ren.GetDisplayPoint()
    h = rgb.shape[0]
    col, row = round(x), round(h - 1 - y)
    patch = rgb[row - 4 : row + 5, col - 4 : col + 5].astype(int)
    return int(((patch[..., 0] > 80) & (patch[..., 0] >= patch[..., 2])).sum())


def test_centring_shows_a_fine_surface_in_place_and_zooming_out_brings_back_the_coarse_one(
    window3d: Any, qtbot: Any
) -> None:
    from app.view3d_aids import view_field_mm
    from app.view3d_closeup import CLOSEUP_MAX_FIELD_MM

    win = window3d
    view = win.view3d
    volume = scene_volume(HEAD_FIRST_PRONE)
    win.opener.show_volume(volume)
    view.wait_for_surface()
    coarse = view.bone_actor
    coarse_full = coarse.GetMapper().GetInput()
    assert not view.closeup.shown  # the whole volume in view: coarse only
    plate_probe = (-28.0, PLATE_Y_MM, 9.0)  # on the plate, clear of the crosshair ball at the origin

    win.state.set_crosshair((0.0, 0.0, 0.0))
    view.centre_on_crosshair()
    assert not view.closeup.shown  # extracted in a worker: the window did not wait for it
    before = image_rgb(view.grab_image())
    view.wait_for_surface()
    assert view.closeup.shown
    after = image_rgb(view.grab_image())
    # the plate, one voxel thick between the coarse grid's samples, appears only in the close-up
    assert bone_pixels_at(view, before, plate_probe) == 0
    assert bone_pixels_at(view, after, plate_probe) > 60
    # denser facets inside the box (halving the sample spacing gives about 4x the triangles per mm²)
    box = view.closeup.result.box.bounds_lps
    fine = view.closeup.actor.GetMapper().GetInput()
    assert density_per_mm2(fine, box) > 2.0 * density_per_mm2(coarse_full, box)
    # in place: the block's faces inside the box where the voxels say (its +x face is beyond the box)
    truth, found = true_faces(volume), block_extent(fine)
    assert found[0][0] == pytest.approx(truth[0][0], abs=FACE_TOLERANCE_MM)
    for axis in (1, 2):
        for side in range(2):
            assert found[axis][side] == pytest.approx(truth[axis][side], abs=FACE_TOLERANCE_MM)
    # the coarse surface is drawn cut away inside the box (not twice), the whole one is out of the scene
    ren = view.renderer
    assert ren.HasViewProp(view.closeup.cut_actor) and not ren.HasViewProp(coarse)
    shown = cell_centroids(view.closeup.cut_actor.GetMapper().GetInput())
    assert not inside(shown, box, 1e-3).any()
    assert (shown[:, 0] > box[1]).sum() > 100  # the block's part beyond the box stays coarse
    for actor in (view.closeup.actor, view.closeup.cut_actor):
        assert actor.GetProperty() is coarse.GetProperty()  # colour and see-through follow the bone's
    assert coarse.GetMapper().GetInput() is coarse_full

    # rotating: on software OpenGL the whole coarse surface is drawn while the camera moves
    w, h = view.vtk_widget.width(), view.vtk_widget.height()
    view.interactor.SetEventPosition(w // 2, h // 2)
    view.interactor.LeftButtonPressEvent()
    view.interactor.SetEventPosition(w // 2 + 30, h // 2)
    view.interactor.MouseMoveEvent()
    assert ren.HasViewProp(coarse) == bool(view.software_gl)
    assert ren.HasViewProp(view.closeup.actor) == (not view.software_gl)
    view.interactor.LeftButtonReleaseEvent()
    assert view.closeup.shown and ren.HasViewProp(view.closeup.actor) and not ren.HasViewProp(coarse)

    fine_actor = view.closeup.actor
    # zoom out with the wheel: past the field limit the coarse surface is whole again
    view.interactor.SetEventPosition(w // 2, h // 2)
    while view_field_mm(view.renderer) <= CLOSEUP_MAX_FIELD_MM:
        view.interactor.MouseWheelBackwardEvent()
    assert not view.closeup.shown
    assert ren.HasViewProp(coarse) and not ren.HasViewProp(fine_actor)
    assert bone_pixels_at(view, image_rgb(view.grab_image()), plate_probe) == 0
    # zoom back in: the close-up returns around the same point
    while view_field_mm(view.renderer) > CLOSEUP_MAX_FIELD_MM:
        view.interactor.MouseWheelForwardEvent()
    view.wait_for_surface()
    assert view.closeup.shown
    assert bone_pixels_at(view, image_rgb(view.grab_image()), plate_probe) > 60
    cut_actor = view.closeup.cut_actor
    view.reset_camera()
    assert not view.closeup.shown
    assert ren.HasViewProp(coarse) and not ren.HasViewProp(cut_actor)


def test_software_gl_draws_the_closeup_without_multisampling(window3d: Any) -> None:
    """llvmpipe rasterises every sample: the view turns multisampling off there (FXAA smooths the edges),
    which made the close-up's first frame, a GUI-thread stall, about a third as long (app.view3d)."""
    import time

    win = window3d
    view = win.view3d
    win.opener.show_volume(scene_volume(HEAD_FIRST_SUPINE))
    view.wait_for_surface()
    if not view.software_gl:
        pytest.skip("a GPU keeps its multisampling")
    win.state.set_crosshair((0.0, 0.0, 0.0))
    view.centre_on_crosshair()
    view.wait_for_surface()
    assert view.closeup.shown
    rw = view.render_window
    assert rw.GetMultiSamples() == 0 and view.renderer.GetUseFXAA()
    # not a black frame: the plate (close-up only) is drawn
    assert bone_pixels_at(view, image_rgb(view.grab_image()), (-28.0, PLATE_Y_MM, 9.0)) > 60

    def frame_s(samples: int) -> float:
        rw.SetMultiSamples(samples)
        rw.Render()  # the framebuffers are remade for the new sample count: not timed
        t0 = time.perf_counter()
        rw.Render()
        return time.perf_counter() - t0

    # interleaved, medians of 3: the machine's load moves both alike
    without, with_msaa = [], []
    for _ in range(3):
        without.append(frame_s(0))
        with_msaa.append(frame_s(4))
    rw.SetMultiSamples(0)
    assert float(np.median(without)) < float(np.median(with_msaa))
