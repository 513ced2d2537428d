"""The body's depth for the posterior-quarter stop line: the median front-to-back extent over the body's
middle, not the whole mask's extent along the front-back axis. Bodies of known depth: a box with lumps
that lengthen the mask along AP but not the body (an anterior osteophyte rim, a bit of pedicle base),
and the vertebra phantom turned and tilted against the grid. Tolerances: 1 mm on the box (1 mm voxels,
flat faces); 1.5 mm on the phantom's ellipse (its middle columns are up to 1 mm shorter than the
central one)."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.mask import Mask
from planning.body_depth import body_depth_and_quarter
from planning.leakage import leakage_zones
from tests.phantoms.vertebra import make_vertebra_phantom
from tests.planning.test_leakage import D_MM, H_MM, W_MM, _box_case, anatomy_from_phantom, box_anatomy


def test_lumps_on_the_mask_do_not_deepen_the_body() -> None:
    vol, plain = _box_case((1.0, 1.0, 1.0), "HFS")
    body = plain.body.to_full()
    lps = vol.index_to_lps_points(np.stack(np.indices(vol.shape), axis=-1).astype(float))
    x, y, z = (lps[..., i] - np.asarray(plain.body_centroid_lps)[i] for i in range(3))
    # an osteophyte rim 8 mm in front of the top front edge, and a pedicle base 6 mm behind the back at
    # the left side: the mask spans D + 14 = 46 mm along AP, the body stays 32 mm deep
    rim = (np.abs(x) <= W_MM / 2) & (y < -D_MM / 2) & (y >= -D_MM / 2 - 8.0) & (z >= H_MM / 2 - 3.0)
    rim &= z <= H_MM / 2
    base = (x >= W_MM / 2 - 8.0) & (x <= W_MM / 2) & (y > D_MM / 2) & (y <= D_MM / 2 + 6.0)
    base &= np.abs(z) <= H_MM / 2
    lumpy = body | rim | base
    wall = plain.posterior_wall.to_full()
    anatomy = box_anatomy(vol, body=lumpy, canal=plain.canal.to_full(), wall=wall)
    ap_extent = float(np.ptp(y[lumpy])) + 1.0
    assert ap_extent == pytest.approx(D_MM + 14.0, abs=1.0)  # what the whole mask gives

    zones = leakage_zones(vol, anatomy)
    assert zones.body_depth_mm == pytest.approx(D_MM, abs=1.0)
    # the stop line in the middle lies a quarter of the depth in front of the posterior wall
    quarter = zones.posterior_quarter.to_full()
    middle = (np.abs(x) <= 2.0) & (np.abs(z) <= 2.0) & lumpy
    front_of_quarter = float(y[quarter & middle].min()) - 0.5  # voxel centre to its front face
    assert front_of_quarter == pytest.approx(D_MM / 2 - D_MM / 4, abs=1.0)
    assert not (quarter & middle & (y < D_MM / 2 - D_MM / 4 - 1.0)).any()


@pytest.mark.parametrize(("yaw_deg", "pitch_deg"), [(0.0, 0.0), (25.0, 15.0), (-10.0, -20.0)])
def test_turned_and_tilted_phantom_depth(yaw_deg: float, pitch_deg: float) -> None:
    ph = make_vertebra_phantom(noise_hu=0.0, yaw_deg=yaw_deg, pitch_deg=pitch_deg)
    zones = leakage_zones(ph.volume, anatomy_from_phantom(ph))
    depth_mm = 2.0 * ph.body_semi_axes_mm[1]  # the ellipse's AP diameter through its centre
    assert zones.body_depth_mm == pytest.approx(depth_mm, abs=1.5)
    # the quarter is the back of the body: in the middle (where the frame's tilt against the phantom's
    # own axes moves the plane least) it starts a quarter of the depth in front of the back
    local = (ph.volume.index_to_lps_points(zones.posterior_quarter.voxel_indices()) - ph.center_lps) @ (
        ph.local_to_lps_rotation
    )
    middle = (np.abs(local[:, 0]) <= 3.0) & (np.abs(local[:, 2]) <= 3.0)
    assert local[middle, 1].min() == pytest.approx(ph.body_semi_axes_mm[1] - depth_mm / 4.0, abs=1.5)
    assert Mask.from_full(ph.body_mask).count() > zones.posterior_quarter.count() > 0


def test_median_ignores_one_short_column() -> None:
    # a 10 x 10 x 30 mm block (l, s, a) on a 1 mm grid with a notch that cuts the central column short
    lr, si, ap = (v.ravel().astype(float) for v in np.meshgrid(np.arange(10), np.arange(10), np.arange(30)))
    keep = ~((lr == 5) & (si == 5) & (ap < 20))
    depth, quarter = body_depth_and_quarter(lr[keep], ap[keep], si[keep], column_mm=1.0, thickness_mm=1.0)
    assert depth == pytest.approx(30.0)
    assert quarter.sum() == pytest.approx(10 * 10 * 7.5, abs=10 * 10 * 0.5 + 1)  # the back 7.5 mm
    with pytest.raises(ValueError, match="body voxel"):
        body_depth_and_quarter(lr[:0], ap[:0], si[:0], column_mm=1.0, thickness_mm=1.0)
