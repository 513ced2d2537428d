"""The geometry of imaging.click_beside on made-up canals (no CT): the angle between straight behind a body
and its canal, and how far a point lies beside a canal's side edge; and the vertebra phantom turned about
its axis. Positions LPS mm (y runs posterior)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from imaging.canal_point import beside_the_canal_mm
from imaging.click_beside import MAX_CANAL_ASIDE_DEG, canal_aside_deg
from imaging.vertebra import find_vertebra
from imaging.vertebra_canal import canal_from_mask
from imaging.vertebra_errors import ClickNotInBodyError
from imaging.vertebra_roi import LpsRoi
from tests.phantoms.vertebra import make_vertebra_phantom


def _roi() -> LpsRoi:
    # 1 mm grid, 40 sections up, 80 rows back, 80 columns to the left, from (-40, -40, -20)
    shape = (40, 80, 80)
    return LpsRoi(
        array=np.zeros(shape, dtype=np.float32),
        origin_lps=np.array([-40.0, -40.0, -20.0]),
        spacing_mm=1.0,
        inside=np.ones(shape, dtype=bool),
    )


def _canal(roi: LpsRoi, centre_x: float, centre_y: float, radius: float = 8.0):  # type: ignore[no-untyped-def]
    _, row, col = np.indices(roi.shape)
    x = roi.origin_lps[0] + col
    y = roi.origin_lps[1] + row
    mask = (x - centre_x) ** 2 + (y - centre_y) ** 2 <= radius**2
    return canal_from_mask(roi, mask)


def _body(centroid: tuple[float, float, float]) -> SimpleNamespace:
    return SimpleNamespace(centroid_lps=np.array(centroid), axis_lps=np.array([0.0, 0.0, 1.0]))


@pytest.mark.parametrize(
    ("canal_xy", "expected_deg"),
    [((0.0, 20.0), 0.0), ((20.0, 20.0), 45.0), ((-20.0, 0.0), 90.0), ((0.0, -20.0), 180.0)],
)
def test_the_canals_angle_from_straight_behind(canal_xy: tuple[float, float], expected_deg: float) -> None:
    roi = _roi()
    canal = _canal(roi, *canal_xy)
    assert canal_aside_deg(_body((0.0, 0.0, 0.0)), canal) == pytest.approx(expected_deg, abs=1.0)  # type: ignore[arg-type]


def test_a_tilted_body_is_judged_square_to_its_axis() -> None:
    """A canal straight behind a body whose axis leans 30 degrees forward stays straight behind it."""
    roi = _roi()
    canal = _canal(roi, 0.0, 20.0)
    lean = np.radians(30.0)
    body = SimpleNamespace(centroid_lps=np.zeros(3), axis_lps=np.array([0.0, -np.sin(lean), np.cos(lean)]))
    assert canal_aside_deg(body, canal) < MAX_CANAL_ASIDE_DEG  # type: ignore[arg-type]


def test_a_point_beside_the_canal_is_measured_from_its_side_edge() -> None:
    roi = _roi()
    canal = _canal(roi, 0.0, 20.0, radius=8.0)  # columns x -8..8
    k = 20
    row = 60  # y = 20
    assert beside_the_canal_mm(roi, canal, (k, row, 40)) == 0.0  # x = 0, in the canal's span
    assert beside_the_canal_mm(roi, canal, (k, row, 40 + 8)) == 0.0  # on its side edge
    assert beside_the_canal_mm(roi, canal, (k, row, 40 + 21)) == pytest.approx(13.0)  # 13 mm out, left
    assert beside_the_canal_mm(roi, canal, (k, row, 40 - 30)) == pytest.approx(22.0)  # 22 mm out, right


@pytest.mark.parametrize("yaw_deg", [30.0, 40.0, 55.0])
def test_a_turned_vertebra_is_still_found(yaw_deg: float) -> None:
    """The vertebra phantom turned about its axis (a scoliotic rotation): accepted, its canal found behind
    the body along the turned midline. At 55 degrees its canal lies beyond MAX_CANAL_ASIDE_DEG from straight
    behind, but is found from in front of the body too, enclosed by bone: the same canal, kept."""
    phantom = make_vertebra_phantom(yaw_deg=yaw_deg)
    anatomy = find_vertebra(phantom.volume, phantom.center_lps)
    truth = phantom.center_lps + phantom.local_to_lps_rotation @ np.array([0.0, 1.0, 0.0])
    back = np.asarray(anatomy.canal_centroid_lps) - np.asarray(anatomy.body_centroid_lps)
    midline = truth - phantom.center_lps
    cos = float(back[:2] @ midline[:2] / np.linalg.norm(back[:2]) / np.linalg.norm(midline[:2]))
    assert cos > np.cos(np.radians(5.0))


@pytest.mark.parametrize(
    ("local_mm", "words"),
    [
        ((14.0, 22.0, 0.0), "14 mm to the left of the spinal canal's centre"),
        ((-14.0, 22.0, 0.0), "14 mm to the right of the spinal canal's centre"),
        ((16.0, 24.0, 0.0), "16 mm to the left of the spinal canal's centre"),
    ],
    ids=["left pedicle", "right pedicle", "16 mm beside the canal"],
)
def test_a_click_on_the_phantoms_pedicle_is_refused_as_beside_the_canal(
    local_mm: tuple[float, float, float], words: str
) -> None:
    """The vertebra phantom (body centre (12, -18, 40), canal centre 23 mm behind it) clicked on a pedicle,
    beside the canal: the old code answered with a 14-15 mL "body" in the pedicle and arch and a "canal" at
    (23.8, 31.9, 44.6), 28 mm behind the real one."""
    phantom = make_vertebra_phantom()
    click = phantom.center_lps + phantom.local_to_lps_rotation @ np.array(local_mm)
    with pytest.raises(ClickNotInBodyError) as refused:
        find_vertebra(phantom.volume, click)
    assert words in refused.value.reason
    assert "behind its front edge: beside the canal (on a pedicle" in refused.value.reason
