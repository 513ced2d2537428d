"""Leakage-risk zones on constructed bodies (closed-form band volumes) and on the vertebra phantom.

Tolerances: band volumes within 5 % of the closed form; the voxel-centre criterion quantises a 5 mm
band to whole voxel layers, so the grids below are those whose layer quantisation stays under 5 %
(0.8, 1.0 mm: 4.8 and 5.0 mm bands). Positions within one voxel (1 mm).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pytest
from scipy import ndimage

from imaging.foramina_frame import foramina_frame, pedicle_bounds
from imaging.lesion_model import LesionType
from imaging.lesion_remeasure import measure_lesion_mask
from imaging.mask import Mask
from imaging.vertebra_foramina import VertebraForamina
from imaging.vertebra_model import PedicleAxis, Side, VertebraAnatomy, WallDefect
from imaging.volume import Volume, affine_from_geometry
from planning.errors import PlanValidationError
from planning.leakage import (
    FactorFinding,
    RiskFactor,
    RiskLevel,
    ZoneKind,
    assess_leakage_risk,
    leakage_zones,
)
from tests.imaging.test_vertebra_foramina import _phantom_case
from tests.phantoms.foramina import ForaminaPhantom
from tests.phantoms.vertebra import VertebraPhantom, make_vertebra_phantom
from tests.phantoms.vertebra_grid import direction_matrix

W_MM, D_MM, H_MM = 40.0, 32.0, 24.0  # box body: left-right, antero-posterior, height
BAND_MM = 5.0
#: A vertebral body taller than this is taken as several bodies merged (real-data precondition only).
MAX_SINGLE_BODY_HEIGHT_MM = 45.0


def _box_case(
    spacing: tuple[float, float, float], orientation: str, *, wall_inside: bool = True, d_shape: bool = False
) -> tuple[Volume, VertebraAnatomy]:
    """A box (or D-shaped) body with a flat posterior wall, the canal behind it, on any grid."""
    center = np.array([5.0, -12.0, 30.0])
    direction = direction_matrix(orientation)
    ext_lps = np.array([W_MM / 2 + 22.0, D_MM / 2 + 30.0, H_MM / 2 + 20.0])  # half extents to cover
    m0 = affine_from_geometry((0, 0, 0), spacing, direction)
    # number of voxels along each index axis, even so that the centre sits on a voxel corner
    axis_len = np.abs(np.linalg.inv(m0[:3, :3]) @ ext_lps)
    shape = tuple(int(2 * math.ceil(v)) for v in axis_len)
    origin = center - m0[:3, :3] @ (np.array(shape) / 2.0 - 0.5)
    matrix = affine_from_geometry(origin, spacing, direction)
    vol = Volume(np.zeros(shape, dtype=np.int16), matrix)
    lps = vol.index_to_lps_points(np.stack(np.indices(shape), axis=-1).astype(float))
    x, y, z = (lps[..., i] - center[i] for i in range(3))
    half_w, half_d, half_h = W_MM / 2, D_MM / 2, H_MM / 2
    if d_shape:
        front = (y < 0) & ((x / half_w) ** 2 + (y / half_d) ** 2 <= 1.0)
        back = (y >= 0) & (y <= half_d) & (np.abs(x) <= half_w)
        solid = (front | back) & (np.abs(z) <= half_h)
    else:
        solid = (np.abs(x) <= half_w) & (np.abs(y) <= half_d) & (np.abs(z) <= half_h)
    wall = solid & (y >= half_d - 1.5)
    body = solid if wall_inside else solid & ~wall
    canal = (np.abs(x) <= 10.0) & (y > half_d) & (y <= half_d + 14.0)
    return vol, box_anatomy(vol, body=body, canal=canal, wall=wall)


def box_anatomy(
    vol: Volume, *, body: npt.NDArray[np.bool_], canal: npt.NDArray[np.bool_], wall: npt.NDArray[np.bool_]
) -> VertebraAnatomy:
    """The anatomy of a box body (``H_MM`` tall) with its posterior wall and a 20 x 14 mm canal behind
    it, from full-grid masks; no pedicles, an intact wall."""
    return VertebraAnatomy(
        body=Mask.from_full(body),
        canal=Mask.from_full(canal),
        posterior_wall=Mask.from_full(wall),
        body_volume_ml=float(body.sum()) * vol.voxel_volume_ml,
        body_centroid_lps=tuple(vol.index_to_lps_points(np.argwhere(body)).mean(axis=0)),
        body_height_mm=H_MM,
        canal_centroid_lps=tuple(vol.index_to_lps_points(np.argwhere(canal)).mean(axis=0)),
        canal_area_mm2=20.0 * 14.0,
        posterior_wall_points_lps=(),
        posterior_wall_intact=True,
        posterior_wall_defects=(),
        pedicles={},
    )


@pytest.mark.parametrize(
    ("spacing", "orientation"),
    [
        ((1.0, 1.0, 1.0), "HFS"),
        ((2.0, 0.8, 0.8), "HFS"),
        ((2.0, 0.8, 0.8), "PIR"),  # AP along the columns, LR along the slices
        ((1.0, 0.8, 1.0), "FFP"),
    ],
)
def test_posterior_wall_band_volume_box(spacing: tuple[float, float, float], orientation: str) -> None:
    vol, anatomy = _box_case(spacing, orientation)
    zones = leakage_zones(vol, anatomy)
    (band,) = zones.zones_of(ZoneKind.POSTERIOR_WALL_BAND)
    truth_ml = W_MM * H_MM * BAND_MM / 1000.0  # 4.8 mL
    assert band.volume_ml == pytest.approx(truth_ml, rel=0.05)
    # every band voxel lies inside the body
    assert np.all(anatomy.body.to_full()[band.mask.to_full()])


@pytest.mark.parametrize("wall_inside", [True, False])
def test_band_measured_from_the_body_surface_whether_the_wall_is_in_or_out(wall_inside: bool) -> None:
    vol, anatomy = _box_case((1.0, 1.0, 1.0), "HFS", wall_inside=wall_inside)
    (band,) = leakage_zones(vol, anatomy).zones_of(ZoneKind.POSTERIOR_WALL_BAND)
    assert band.volume_ml == pytest.approx(W_MM * H_MM * BAND_MM / 1000.0, rel=0.05)


def test_band_volume_d_shaped_body() -> None:
    vol, anatomy = _box_case((1.0, 1.0, 1.0), "HFS", d_shape=True)
    (band,) = leakage_zones(vol, anatomy).zones_of(ZoneKind.POSTERIOR_WALL_BAND)
    assert band.volume_ml == pytest.approx(W_MM * H_MM * BAND_MM / 1000.0, rel=0.05)
    # a wider band (8 mm) scales with it
    (band8,) = leakage_zones(vol, anatomy, band_mm=8.0).zones_of(ZoneKind.POSTERIOR_WALL_BAND)
    assert band8.volume_ml == pytest.approx(W_MM * H_MM * 8.0 / 1000.0, rel=0.05)


def test_posterior_quarter_box() -> None:
    vol, anatomy = _box_case((1.0, 1.0, 1.0), "HFS")
    zones = leakage_zones(vol, anatomy)
    assert zones.body_depth_mm == pytest.approx(D_MM, abs=1.0)
    quarter_ml = zones.posterior_quarter.count() * vol.voxel_volume_ml
    assert quarter_ml == pytest.approx(W_MM * H_MM * D_MM / 4.0 / 1000.0, rel=0.05)


# ------------------------------------------------------------------------------------------------
def anatomy_from_phantom(ph: VertebraPhantom, *, defects: tuple[WallDefect, ...] = ()) -> VertebraAnatomy:
    """VertebraAnatomy values straight from the phantom's truth (no segmentation involved)."""
    vol = ph.volume
    pedicles = {
        side: PedicleAxis(
            side,
            tuple(p.entry_lps),
            tuple(p.target_lps),
            p.min_width_mm,
            tuple(p.isthmus_lps),
            Mask.from_full(p.mask),
        )
        for side, p in ph.pedicles.items()
    }
    body_c = vol.index_to_lps_points(np.argwhere(ph.body_mask)).mean(axis=0)
    return VertebraAnatomy(
        body=Mask.from_full(ph.body_mask),
        canal=Mask.from_full(ph.canal_mask),
        posterior_wall=Mask.from_full(ph.posterior_wall_mask),
        body_volume_ml=ph.body_volume_ml,
        body_centroid_lps=tuple(body_c),
        body_height_mm=ph.body_height_mm,
        canal_centroid_lps=tuple(ph.canal_centroid_lps),
        canal_area_mm2=ph.canal_area_mm2,
        posterior_wall_points_lps=(),
        posterior_wall_intact=not defects,
        posterior_wall_defects=defects,
        pedicles=pedicles,
        level="L1",
    )


def _local(ph: VertebraPhantom, mask: Mask) -> np.ndarray:
    """Local phantom coordinates (x left, y posterior, z superior; mm) of a mask's voxels."""
    lps = ph.volume.index_to_lps_points(mask.voxel_indices())
    out: np.ndarray = (lps - ph.center_lps) @ ph.local_to_lps_rotation
    return out


@pytest.fixture(scope="module")
def phantom() -> VertebraPhantom:
    return make_vertebra_phantom(noise_hu=0.0, yaw_deg=8.0, wall_defect=(4.0, 3.0, 6.0))


def test_phantom_band_lies_in_the_body_on_the_canal_side(phantom: VertebraPhantom) -> None:
    anatomy = anatomy_from_phantom(phantom)
    zones = leakage_zones(phantom.volume, anatomy)
    (band,) = zones.zones_of(ZoneKind.POSTERIOR_WALL_BAND)
    assert band.volume_ml > 0.5
    assert np.all(phantom.body_mask[band.mask.to_full()])
    local = _local(phantom, band.mask)
    b = phantom.body_semi_axes_mm[1]
    # the band hugs the posterior surface: every voxel within 5 mm (+ one voxel) of the ellipse's back
    assert local[:, 1].min() >= b - BAND_MM - 2.0
    assert np.all(local[:, 1] > 0.0)
    # closer to the canal than the body centroid is
    canal_lps = phantom.volume.index_to_lps_points(np.argwhere(phantom.canal_mask))
    band_lps = phantom.volume.index_to_lps_points(band.mask.voxel_indices())
    centroid = np.asarray(anatomy.body_centroid_lps)
    d_centroid = np.min(np.linalg.norm(canal_lps - centroid, axis=1))
    step = 7  # sample the band for speed
    d_band = np.array([np.min(np.linalg.norm(canal_lps - p, axis=1)) for p in band_lps[::step]])
    assert np.all(d_band < d_centroid)
    assert np.all(d_band <= BAND_MM + 1.8)  # voxel centre to canal voxel centre: band + ~one voxel


def test_phantom_wall_defect_zone_and_risk(phantom: VertebraPhantom) -> None:
    assert phantom.wall_defect_center_lps is not None
    defect = WallDefect(tuple(phantom.wall_defect_center_lps), 6.0, "constructed plug")
    intact = anatomy_from_phantom(phantom)
    broken = anatomy_from_phantom(phantom, defects=(defect,))
    assert not leakage_zones(phantom.volume, intact).zones_of(ZoneKind.POSTERIOR_WALL_DEFECT)
    (zone,) = leakage_zones(phantom.volume, broken).zones_of(ZoneKind.POSTERIOR_WALL_DEFECT)
    centroid = phantom.volume.index_to_lps_points(zone.mask.voxel_indices()).mean(axis=0)
    # the zone (ball of radius 3 + 5 mm cut by the body) sits in front of the defect, inside the body
    assert np.linalg.norm(centroid - phantom.wall_defect_center_lps) < 8.0
    assert np.all(phantom.body_mask[zone.mask.to_full()])
    assert zone.volume_ml < 4.0 / 3.0 * math.pi * 8.0**3 / 1000.0

    def level_for(anatomy: VertebraAnatomy) -> tuple[RiskLevel, tuple[str, ...]]:
        destroyed = bool(anatomy.posterior_wall_defects)
        risk = assess_leakage_risk(
            [
                FactorFinding(RiskFactor.POSTERIOR_WALL_DESTRUCTION, destroyed, "images"),
                FactorFinding(RiskFactor.LYTIC_LESION, True, "images"),
            ]
        )
        return risk.level, risk.reasons

    low_level, _ = level_for(intact)
    high_level, reasons = level_for(broken)
    assert low_level is RiskLevel.LOW
    assert high_level is RiskLevel.HIGH
    assert any("posterior-wall destruction" in r for r in reasons)


def test_phantom_foramen_bands(phantom: VertebraPhantom) -> None:
    anatomy = anatomy_from_phantom(phantom)
    zones = leakage_zones(phantom.volume, anatomy)
    bands = {z.name: z for z in zones.zones_of(ZoneKind.FORAMEN_BAND)}
    assert set(bands) == {"left foramen band", "right foramen band"}
    left, right = bands["left foramen band"], bands["right foramen band"]
    assert left.approximate and right.approximate
    # mirror images up to the 8 degree yaw's voxelisation
    assert left.volume_ml == pytest.approx(right.volume_ml, rel=0.25)
    ped_half = phantom.pedicles[Side.LEFT].height_mm / 2.0
    for zone, sign in ((left, 1.0), (right, -1.0)):
        loc = _local(phantom, zone.mask)
        assert np.all(phantom.body_mask[zone.mask.to_full()])
        assert np.all(sign * loc[:, 0] > 0.0)  # on its own side
        assert np.all(loc[:, 1] > 0.0)  # posterior half
        # reaches above and below the pedicle's level (the foramina between adjacent pedicles)
        assert loc[:, 2].max() > ped_half - 1.0
        assert loc[:, 2].min() < -ped_half + 1.0


def test_foramen_bands_without_pedicle_masks(phantom: VertebraPhantom) -> None:
    anatomy = anatomy_from_phantom(phantom)
    no_masks = {
        side: PedicleAxis(p.side, p.axis_entry_lps, p.axis_target_lps, p.min_width_mm, p.isthmus_lps, None)
        for side, p in anatomy.pedicles.items()
    }
    bare = VertebraAnatomy(**{**anatomy.__dict__, "pedicles": no_masks})
    bands = leakage_zones(phantom.volume, bare).zones_of(ZoneKind.FORAMEN_BAND)
    assert len(bands) == 2
    for zone in bands:
        assert "assumed" in zone.description
        loc = _local(phantom, zone.mask)
        # pedicle height assumed half the body height (13 mm): the foramina lie above z = +6.5 and below
        # z = -6.5 mm, so the 5 mm bands reach no closer to mid-height than 1.5 mm (+ half a voxel)
        half = 0.25 * phantom.body_height_mm
        assert np.all(np.abs(loc[:, 2]) >= half - BAND_MM - 0.5 - 1e-6)
        assert loc[:, 2].max() > half
        assert loc[:, 2].min() < -half


def test_phantom_basivertebral_zone(phantom: VertebraPhantom) -> None:
    anatomy = anatomy_from_phantom(phantom)
    (zone,) = leakage_zones(phantom.volume, anatomy).zones_of(ZoneKind.BASIVERTEBRAL_FORAMEN)
    loc = _local(phantom, zone.mask).mean(axis=0)
    assert abs(loc[0]) < 1.5  # midline
    assert abs(loc[2]) < 1.5  # mid-height
    assert loc[1] > phantom.body_semi_axes_mm[1] - BAND_MM  # at the back


@pytest.mark.parametrize(("lesion_z_mm", "breaks"), [(8.0, True), (6.0, False), (0.0, False)])
def test_endplate_defect_only_where_the_lesion_breaks_through_it(lesion_z_mm: float, breaks: bool) -> None:
    """A 6 mm lesion centred 8 mm above the body's centre reaches 14 mm, through the endplate (the body's
    top at 13 mm) into the disc: its own cortical breach lies on the endplate, a defect. Centred at 6 mm
    it reaches 12 mm, touching the endplate's cortex from inside: contact, noted, no defect. Centred it
    touches nothing."""
    ph = make_vertebra_phantom(noise_hu=0.0, lesion=(0.0, 0.0, lesion_z_mm, 6.0))
    anatomy = anatomy_from_phantom(ph)
    lesion = Mask.from_full(ph.lesion_mask)
    measured = measure_lesion_mask(ph.volume, lesion, lesion_type=LesionType.LYTIC, reference_bone_hu=None)
    assert measured.cortical_breach is breaks
    zones = leakage_zones(
        ph.volume, anatomy, lesion_mask=lesion, cortical_breach_lps=measured.cortical_breach_lps
    )
    endplate = zones.zones_of(ZoneKind.ENDPLATE_DEFECT)
    assert not zones.zones_of(ZoneKind.CORTICAL_DEFECT)  # every breach here is on the endplate
    if breaks:
        (zone,) = endplate
        assert zone.name == "superior endplate defect"
        assert _local(ph, zone.mask)[:, 2].min() >= ph.body_height_mm / 2 - BAND_MM - 1.5
        assert zones.endplate_contacts == ()
    else:
        assert not endplate
        touching = lesion_z_mm + 6.0 >= ph.body_height_mm / 2 - 1.5  # within the 1.5 mm cortex
        assert zones.endplate_contacts == (("superior",) if touching else ())
        assert any("without breaking through" in n for n in zones.notes) is touching


def test_access_track_follows_the_needle(phantom: VertebraPhantom) -> None:
    anatomy = anatomy_from_phantom(phantom)
    ped = phantom.pedicles[Side.LEFT]
    od = 3.05
    zones = leakage_zones(phantom.volume, anatomy, trajectories=[(ped.entry_lps, ped.target_lps, od)])
    (track,) = zones.zones_of(ZoneKind.ACCESS_TRACK)
    pts = phantom.volume.index_to_lps_points(track.mask.voxel_indices())
    a, b = ped.entry_lps, ped.target_lps
    t = np.clip((pts - a) @ (b - a) / ((b - a) @ (b - a)), 0, 1)
    dist = np.linalg.norm(pts - (a + t[:, None] * (b - a)), axis=1)
    assert np.all(dist <= od / 2 + 1.0 + 1e-6)
    # it runs through the pedicle's bone, not only the body
    assert track.mask.to_full()[ped.mask].any()
    # it enters the body but never deeper than 5 mm (+ half a voxel diagonal) inside its surface
    depth_mm = ndimage.distance_transform_edt(phantom.body_mask, sampling=phantom.volume.spacing_mm)
    inside = phantom.body_mask & track.mask.to_full()
    assert inside.any()
    assert depth_mm[inside].max() <= BAND_MM + 1.0
    with pytest.raises(PlanValidationError):
        leakage_zones(phantom.volume, anatomy, trajectories=[(ped.entry_lps, ped.entry_lps, od)])


def test_cortical_breach_zone(phantom: VertebraPhantom) -> None:
    anatomy = anatomy_from_phantom(phantom)
    point = tuple(phantom.to_lps([0.0, -phantom.body_semi_axes_mm[1], 0.0]))  # anterior cortex
    (zone,) = leakage_zones(phantom.volume, anatomy, cortical_breach_lps=[point]).zones_of(
        ZoneKind.CORTICAL_DEFECT
    )
    # half a 5 mm ball inside the body: about 2/3 pi 125 mm^3 = 0.26 mL (the curved front adds a little)
    assert zone.volume_ml == pytest.approx(2.0 / 3.0 * math.pi * 125.0 / 1000.0, rel=0.25)


def test_rejects_bad_input(phantom: VertebraPhantom) -> None:
    anatomy = anatomy_from_phantom(phantom)
    with pytest.raises(PlanValidationError, match="band_mm"):
        leakage_zones(phantom.volume, anatomy, band_mm=0.0)
    other = Volume(np.zeros((5, 5, 5), dtype=np.int16), np.eye(4))
    with pytest.raises(PlanValidationError, match="grid"):
        leakage_zones(other, anatomy)


# ------------------------------------------------------------------------------------------------
def _f(factor: RiskFactor, present: bool | None) -> FactorFinding:
    return FactorFinding(factor, present, "operator")


@pytest.mark.parametrize(
    ("present", "level"),
    [
        ((), RiskLevel.LOW),
        ((RiskFactor.LYTIC_LESION,), RiskLevel.LOW),
        ((RiskFactor.LYTIC_LESION, RiskFactor.INTRAVERTEBRAL_CLEFT), RiskLevel.MODERATE),
        ((RiskFactor.CORTICAL_DISRUPTION,), RiskLevel.MODERATE),
        ((RiskFactor.LOW_VISCOSITY_CEMENT,), RiskLevel.MODERATE),
        ((RiskFactor.CORTICAL_DISRUPTION, RiskFactor.LOW_VISCOSITY_CEMENT), RiskLevel.HIGH),
        ((RiskFactor.POSTERIOR_WALL_DESTRUCTION,), RiskLevel.HIGH),
        (
            (RiskFactor.CORTICAL_DISRUPTION, RiskFactor.LYTIC_LESION, RiskFactor.VERTEBRAL_COLLAPSE),
            RiskLevel.MODERATE,
        ),
        (
            (
                RiskFactor.MULTIPLE_LEVELS,
                RiskFactor.VERTEBRAL_COLLAPSE,
                RiskFactor.LARGER_VOLUME,
                RiskFactor.LYTIC_LESION,
            ),
            RiskLevel.MODERATE,
        ),
    ],
)
def test_risk_rule(present: tuple[RiskFactor, ...], level: RiskLevel) -> None:
    findings = [_f(r, r in present) for r in RiskFactor]
    risk = assess_leakage_risk(findings)
    assert risk.level is level
    assert len(risk.reasons) == max(1, len(present))
    for r in present:
        assert any(r.value in reason for reason in risk.reasons)
    assert not risk.not_assessed
    assert "rule of thumb" in risk.rule


def test_risk_reasons_cite_odds_ratios_and_list_unknowns() -> None:
    risk = assess_leakage_risk(
        [_f(RiskFactor.CORTICAL_DISRUPTION, True), _f(RiskFactor.LOW_VISCOSITY_CEMENT, None)]
    )
    assert "OR 5.56" in risk.reasons[0]
    assert RiskFactor.LOW_VISCOSITY_CEMENT.value in risk.not_assessed
    assert RiskFactor.INTRAVERTEBRAL_CLEFT.value in risk.not_assessed  # never given
    assert risk.to_json()["level"] == "moderate"


def test_zone_masks_are_on_the_volume_grid() -> None:
    ph = make_vertebra_phantom(noise_hu=0.0, lesion=(0.0, 4.0, 0.0, 7.0))
    anatomy = anatomy_from_phantom(ph)
    zones = leakage_zones(ph.volume, anatomy, lesion_mask=Mask.from_full(ph.lesion_mask))
    for z in zones.zones:
        assert z.mask.grid_shape == ph.volume.shape
        drawn_ml = z.volume_ml if z.mask_volume_ml is None else z.mask_volume_ml
        assert drawn_ml == pytest.approx(z.mask.count() * ph.volume.voxel_volume_ml)
    union = zones.union()
    assert union.count() <= sum(z.mask.count() for z in zones.zones)
    assert LesionType.LYTIC.value == "lytic"


# ------------------------------------------------------------------------------------------------
# Real data: the band on real vertebrae (skipped without ../shared/data)
# ------------------------------------------------------------------------------------------------
def _axial_png(
    path: str, volume: Volume, anatomy: VertebraAnatomy, band: Mask, foramina: Mask, title: str
) -> None:
    """An axial slice through the body centroid (radiological: patient right on the left, anterior up)
    with the body (blue), canal (green), band (red) and foramen bands (yellow) drawn over the CT."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cx, cy, cz = anatomy.body_centroid_lps
    half, step = 40.0, 0.5
    xs = cx - half + step * np.arange(int(2 * half / step))
    ys = cy - half + step * np.arange(int(2 * half / step))
    gx, gy = np.meshgrid(xs, ys)  # image rows: +y (posterior) downwards; columns: +x (left) rightwards
    idx = volume.lps_to_index_points(np.stack([gx, gy, np.full_like(gx, cz)], axis=-1))
    coords = np.moveaxis(idx, -1, 0)

    def sample(array: np.ndarray) -> np.ndarray:
        out: np.ndarray = ndimage.map_coordinates(array.astype(np.float32), coords, order=0, cval=0.0)
        return out

    extent = (xs[0], xs[-1], ys[-1], ys[0])
    fig, ax = plt.subplots(figsize=(6, 6), dpi=100)
    ax.imshow(sample(volume.array), cmap="gray", vmin=-200, vmax=1200, extent=extent)
    for mask, colour, alpha in (
        (anatomy.body, (0.2, 0.5, 1.0), 0.25),
        (anatomy.canal, (0.1, 1.0, 0.2), 0.45),
        (foramina, (1.0, 1.0, 0.0), 0.5),
        (band, (1.0, 0.15, 0.1), 0.6),
    ):
        plane = sample(mask.to_full()) > 0.5
        rgba = np.zeros((*plane.shape, 4))
        rgba[plane] = (*colour, alpha)
        ax.imshow(rgba, extent=extent)
    for x, y, letter in ((0.02, 0.5, "R"), (0.95, 0.5, "L"), (0.5, 0.95, "A"), (0.5, 0.02, "P")):
        ax.text(x, y, letter, transform=ax.transAxes, color="white")
    ax.set_title(title, fontsize=8)
    ax.set_xlabel("x LPS (mm)")
    ax.set_ylabel("y LPS (mm)")
    fig.savefig(path)
    plt.close(fig)


def _lumbar_anatomy_from_labels(data: object) -> tuple[Volume, VertebraAnatomy]:
    """L3 of lumbar-ct-labels from its labels: body = 49|50; canal = the hole the body and arch close
    in each axial plane (planes where the ring is open take the nearest closed plane's hole, minus
    bone); wall = body cortex (49) within 3 mm of the canal; pedicles = arch (41) in front of the
    canal centre, split by side."""
    from pathlib import Path

    from imaging.image_files import read_image

    folder = Path(str(data)) / "lumbar-ct-labels"
    vol = read_image(folder / "sub-ct_label-22_ct.nii.gz")
    sub = read_image(folder / "sub-ct_seg-subreg_label-22_msk.nii.gz").array
    vert = read_image(folder / "sub-ct_seg-vert_label-22_msk.nii.gz").array
    own = vert == 22
    body = own & np.isin(sub, [49, 50])
    bone = vert > 0
    lps = vol.index_to_lps_points(np.stack(np.indices(vol.shape), axis=-1).astype(float))
    body_c = lps[body].mean(axis=0)
    steps = vol.index_to_lps[:3, :3] / np.asarray(vol.spacing_mm)
    ax = int(np.argmax(np.abs(steps[2])))  # the grid axis along patient z: axial planes across it
    canal = np.zeros_like(body)
    for r in range(vol.shape[ax]):
        sl: list[object] = [slice(None)] * 3
        sl[ax] = r
        plane = tuple(sl)
        closed = ndimage.binary_closing(bone[plane], iterations=2)
        hole = ndimage.binary_fill_holes(closed) & ~closed
        labels, n = ndimage.label(hole)
        for k in range(1, n + 1):
            comp = labels == k
            y_mean = lps[plane][comp][:, 1].mean()
            if y_mean > body_c[1] + 8.0 and comp.sum() * 2.25 >= 40.0:  # behind the body, >= 40 mm^2
                canal[plane] |= comp
    found = [r for r in range(vol.shape[ax]) if np.take(canal, r, axis=ax).any()]
    for r in range(vol.shape[ax]):
        if r not in found:
            near = min(found, key=lambda q: abs(q - r))
            sl2: list[object] = [slice(None)] * 3
            sl2[ax] = r
            canal[tuple(sl2)] = np.take(canal, near, axis=ax) & ~np.take(bone, r, axis=ax)
    d_canal = ndimage.distance_transform_edt(~canal, sampling=vol.spacing_mm)
    wall = body & (sub == 49) & (d_canal <= 3.0)
    canal_c = lps[canal].mean(axis=0)
    arch = own & (sub == 41) & (lps[..., 1] <= canal_c[1])
    pedicles = {}
    for side, sign in ((Side.LEFT, 1.0), (Side.RIGHT, -1.0)):
        pm = arch & (sign * (lps[..., 0] - canal_c[0]) > 0)
        pts = lps[pm]
        pedicles[side] = PedicleAxis(
            side,
            tuple(pts[np.argmax(pts[:, 1])]),
            tuple(body_c),
            5.0,
            tuple(pts.mean(axis=0)),
            Mask.from_full(pm),
        )
    anatomy = VertebraAnatomy(
        body=Mask.from_full(body),
        canal=Mask.from_full(canal),
        posterior_wall=Mask.from_full(wall),
        body_volume_ml=float(body.sum()) * vol.voxel_volume_ml,
        body_centroid_lps=tuple(body_c),
        body_height_mm=float(np.ptp(lps[body][:, 2])),
        canal_centroid_lps=tuple(canal_c),
        canal_area_mm2=0.0,
        posterior_wall_points_lps=(),
        posterior_wall_intact=True,
        posterior_wall_defects=(),
        pedicles=pedicles,
        level="L3",
    )
    return vol, anatomy


def _check_band_on_real_vertebra(volume: Volume, anatomy: VertebraAnatomy, png: str, title: str) -> None:
    zones = leakage_zones(volume, anatomy)
    (band,) = zones.zones_of(ZoneKind.POSTERIOR_WALL_BAND)
    body = anatomy.body.to_full()
    band_full = band.mask.to_full()
    _axial_png(png, volume, anatomy, band.mask, zones.union(frozenset({ZoneKind.FORAMEN_BAND})), title)
    assert band.mask.count() > 0
    assert np.all(body[band_full])  # inside the body
    centroid = np.asarray(anatomy.body_centroid_lps)
    ap = np.asarray(anatomy.canal_centroid_lps) - centroid
    ap /= np.linalg.norm(ap)
    band_lps = volume.index_to_lps_points(band.mask.voxel_indices())
    # on the canal side: every band voxel lies behind the body centroid along body -> canal, and the
    # band's centroid lies in the posterior quarter-and-a-bit of the body
    assert np.all((band_lps - centroid) @ ap > 0.0)
    assert float((band_lps.mean(axis=0) - centroid) @ ap) > 0.25 * zones.body_depth_mm
    # every band voxel is closer to the canal than the body centroid is
    canal_lps = volume.index_to_lps_points(anatomy.canal.voxel_indices())
    d_centroid = float(np.min(np.linalg.norm(canal_lps - centroid, axis=1)))
    d_band = np.array([np.min(np.linalg.norm(canal_lps - p, axis=1)) for p in band_lps[::3]])
    assert np.all(d_band < d_centroid)
    fraction = band.volume_ml / anatomy.body_volume_ml
    assert 0.03 < fraction < 0.35


@pytest.mark.realdata
def test_real_lumbar_band_from_labels(shared_data: object) -> None:
    volume, anatomy = _lumbar_anatomy_from_labels(shared_data)
    _check_band_on_real_vertebra(
        volume,
        anatomy,
        "/tmp/band_lumbar.png",
        "L3 lumbar-ct-labels (labels): body, canal, 5 mm band, foramina",
    )


@pytest.mark.realdata
@pytest.mark.parametrize(
    "click_lps",
    [
        (0.0, 127.0, -45.0),
        # 5 mm left of the body's centre: the body is found from the first body's centroid
        (0.0, 127.0, -68.0),
        (-10.0, 127.0, -68.0),
    ],
)
def test_real_chest_band_with_find_vertebra(chest_ct: object, click_lps: tuple[float, float, float]) -> None:
    vertebra = pytest.importorskip(
        "imaging.vertebra", reason="imaging/vertebra.py find_vertebra not there yet"
    )
    volume = chest_ct
    try:
        anatomy = vertebra.find_vertebra(volume, click_lps)
    except vertebra.VertebraNotFoundError as exc:
        pytest.fail(f"find_vertebra refused the chest vertebra: {exc}")
    z_extent = float(np.ptp(volume.index_to_lps_points(anatomy.body.voxel_indices())[:, 2]))
    assert z_extent <= MAX_SINGLE_BODY_HEIGHT_MM, f"a body {z_extent:.0f} mm tall: more than one vertebra"
    _check_band_on_real_vertebra(
        volume,
        anatomy,
        f"/tmp/band_chest_{int(-click_lps[2])}_x{int(click_lps[0])}.png",
        f"chest-ct-dicom at {click_lps}: find_vertebra",
    )


@pytest.mark.realdata
def test_real_lumbar_band_with_find_vertebra(shared_data: object) -> None:
    vertebra = pytest.importorskip(
        "imaging.vertebra", reason="imaging/vertebra.py find_vertebra not there yet"
    )
    volume, truth = _lumbar_anatomy_from_labels(shared_data)
    anatomy = vertebra.find_vertebra(volume, truth.body_centroid_lps)
    if abs(anatomy.body_volume_ml / truth.body_volume_ml - 1.0) > 0.3:
        pytest.skip(
            f"find_vertebra body {anatomy.body_volume_ml:.1f} mL against {truth.body_volume_ml:.1f} mL "
            "labelled: the band check needs the body found within 30%"
        )
    _check_band_on_real_vertebra(
        volume, anatomy, "/tmp/band_lumbar_found.png", "L3 lumbar-ct-labels: find_vertebra"
    )


# -- segmented foramina (imaging.vertebra_foramina) on the three-vertebra phantom -------------------
def _constructed_foramen_band_ml(
    ph: ForaminaPhantom, side: Side, step_mm: float = 0.25, *, lat_mm: tuple[float, float] | None = None
) -> float:
    """Volume of the (truth) middle body within BAND_MM of the side's constructed foramina, sampled at
    ``step_mm`` in the local frame (the closed-form shapes, not a voxel grid); ``lat_mm``: between
    those lateral borders instead of the constructed ones."""
    sign = 1.0 if side is Side.LEFT else -1.0
    a, b = ph.body_semi_axes_mm
    h = ph.body_height_mm / 2.0
    lat = ph.foramen_bounds(side, "upper")["lat"] if lat_mm is None else lat_mm
    xs = sign * np.arange(lat[0] - BAND_MM - 1.0, a + step_mm, step_mm)
    ys = np.arange(-BAND_MM, b + BAND_MM + 1.0, step_mm)
    zs = np.arange(-h - BAND_MM - 1.0, h + BAND_MM + 1.0, step_mm)
    g = np.stack(np.meshgrid(xs, ys, zs, indexing="ij"), axis=-1)
    foramen = ph.foramen_contains(g, side, "upper", lat_mm=lat_mm) | ph.foramen_contains(
        g, side, "lower", lat_mm=lat_mm
    )
    body = ((g[..., 0] / a) ** 2 + (g[..., 1] / b) ** 2 <= 1.0) & (np.abs(g[..., 2]) <= h)
    near = ndimage.distance_transform_edt(~foramen, sampling=step_mm) <= BAND_MM
    return float((near & body).sum() * step_mm**3 / 1000.0)


def _found_borders_local(ph: ForaminaPhantom, anatomy: VertebraAnatomy, side: Side) -> tuple[float, float]:
    """The foramina's medial and lateral borders as found (imaging.foramina_frame.pedicle_bounds), as
    the phantom's lateral coordinate ``sign * x``."""
    frame = foramina_frame(ph.volume, anatomy)
    axis = anatomy.pedicles[side]
    assert frame is not None and axis.mask is not None
    bounds = pedicle_bounds(ph.volume, frame, anatomy, side=side, axis=axis, mask=axis.mask)
    assert bounds is not None
    sign = 1.0 if side is Side.LEFT else -1.0
    origin_lat = sign * float(ph.to_local(frame.origin)[0])
    return bounds.u_med + origin_lat, bounds.u_lat + origin_lat


@pytest.mark.parametrize("side", list(Side))
def test_segmented_foramen_band_volume(side: Side) -> None:
    """The band from the *segmented* foramina in the constructed body: isolates the foramen step (the
    body's own segmentation, find_vertebra's, is checked elsewhere; its posterolateral corner moves
    this band by more than the foramen does)."""
    ph, found_anatomy, foramina = _phantom_case("axial-1mm")
    anatomy = replace(found_anatomy, body=Mask.from_full(ph.body_mask))
    zones = leakage_zones(ph.volume, replace(anatomy, foramina=foramina))
    bands = {z.name: z for z in zones.zones_of(ZoneKind.FORAMEN_BAND)}
    band = bands[f"{side.value} foramen band"]
    assert not band.approximate
    assert "segmented" in band.description
    # the foramen's lateral borders are the pedicle's over the stretch of its axis the isthmus may lie
    # on (imaging.foramina_isthmus): the band is the constructed foramen's between those borders, and
    # never smaller than the constructed one's (the safe side), to the same 5 %
    borders = _found_borders_local(ph, found_anatomy, side)
    assert band.volume_ml == pytest.approx(_constructed_foramen_band_ml(ph, side, lat_mm=borders), rel=0.05)
    assert band.volume_ml >= 0.95 * _constructed_foramen_band_ml(ph, side)
    assert np.all(anatomy.body.to_full()[band.mask.to_full()])
    assert not any("approximated" in n for n in zones.notes)


def test_foramen_band_falls_back_to_the_approximation_where_not_segmented() -> None:
    ph, anatomy, foramina = _phantom_case("axial-1mm")
    left_only = VertebraForamina(
        tuple(f for f in foramina.foramina if f.side is Side.LEFT), foramina.grid_shape
    )
    zones = leakage_zones(ph.volume, replace(anatomy, foramina=left_only))
    bands = {z.name: z for z in zones.zones_of(ZoneKind.FORAMEN_BAND)}
    assert not bands["left foramen band"].approximate
    assert bands["right foramen band"].approximate
    assert "approximated (not segmented)" in bands["right foramen band"].description
    assert any("right side" in n for n in zones.notes)
    # no foramina at all: both approximated, and said so
    none = leakage_zones(ph.volume, anatomy)
    assert all(z.approximate for z in none.zones_of(ZoneKind.FORAMEN_BAND))
    assert any("not segmented" in n for n in none.notes)
