"""What the Vertebra tool did not see, said (QA session 17, items 6, 7, 10 and 3).

- A click on the disc between two vertebrae is refused as such, not as a body "more than one vertebra
  tall whose end plates were not seen" (vertebra phantom with its neighbours; the chest CT's lower
  thoracic discs, where the QA clicked).
- A body cut by the scan's edge says so, and its face on the edge is not reported as an endplate
  (phantom cut through its body; abdomen T12, cut by the scan's top, whose body also ran into L1).
- Endplates found carry their centre and tilt (phantom pitched by a known angle).
- Metal near the vertebra is found and placed (a rod through the phantom's right pedicle), and none
  is reported where there is none (the abdomen CT holds a hip implant, far from the spine).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from imaging.disc_click import disc_at_point
from imaging.image_files import read_image
from imaging.load import load_volume
from imaging.vertebra import VertebraNotFoundError, find_vertebra
from imaging.vertebra_metal import METAL_THRESHOLD_HU
from imaging.vertebra_model import Side
from imaging.volume import Volume
from planning.vertebra_figures import figure_lines, vertebra_figures
from tests.phantoms.vertebra import make_vertebra_phantom

DISC_WORDS = "the point is on the disc between two vertebrae"
#: the endplate's plane: centre within 2 mm of the truth's (its layer is the body's outer 2 mm, whose
#: middle lies 1 mm inside the surface) and tilt within 4 degrees (a 2 mm layer on a 1 mm grid; the body
#: found on the 12 degree phantom has its own axis 3.4 degrees off; measured 1.5 and 2.9 degrees off)
ENDPLATE_CENTRE_MM = 2.0
ENDPLATE_TILT_DEG = 4.0
#: the phantom's body kept in view below the cut (mm): taller than the shortest body refused (12 mm)
KEPT_MM = 18.0
#: a metal rod (a 6 mm pedicle screw's core) and the scanner's top value (12-bit, intercept -1024)
ROD_RADIUS_MM = 3.0
ROD_HU = 3071.0


def test_click_on_the_disc_is_refused_as_on_the_disc() -> None:
    ph = make_vertebra_phantom(adjacent=True, seed=5)
    disc = ph.center_lps + ph.local_to_lps_rotation @ np.array([0.0, 0.0, 0.5 * ph.body_height_mm + 5.0])
    with pytest.raises(VertebraNotFoundError, match=DISC_WORDS):
        find_vertebra(ph.volume, disc)
    # inside the body, no disc is at the point
    assert disc_at_point(ph.volume, ph.center_lps) is None


@pytest.mark.realdata
def test_chest_clicks_on_lower_thoracic_discs_say_disc(shared_data: Path) -> None:
    """The QA's clicks on the chest CT (z -154.5, -130.5, -104.5) lie on discs (sagittal view: end
    plates about -160/-152, -133/-126, -106/-101)."""
    volume = load_volume(shared_data / "chest-ct-dicom", None).volume
    for click in ((-5.8, 108.0, -154.5), (-6.0, 118.0, -130.5), (-6.0, 118.0, -104.5)):
        found = disc_at_point(volume, click)
        assert found is not None, click
        half_voxel = 0.5 * max(volume.spacing_mm)
        assert (
            found.lower_endplate_lps[2] - half_voxel <= click[2] <= found.upper_endplate_lps[2] + half_voxel
        )
    # 5 mm below and above two of them (about 2 mm beyond the end plates' ridges) the point is in a body
    for click in ((-6.0, 118.0, -135.5), (-6.0, 118.0, -99.5)):
        assert disc_at_point(volume, click) is None, click
    with pytest.raises(VertebraNotFoundError, match=DISC_WORDS):
        find_vertebra(volume, (-6.0, 118.0, -130.5))


@pytest.mark.realdata
def test_chest_click_on_the_disc_at_the_scans_bottom_is_refused(shared_data: Path) -> None:
    """The chest CT ends at z -164.5, 4 mm into L1: from clicks on the T12/L1 disc (end plates about
    -160.5 / -152.5) the body found was cut by the scan's bottom and ran across the disc into T12 (18-51
    mL, its "superior end plate" T12's inferior one; QA s17 V item D): refused as on the disc now."""
    volume = load_volume(shared_data / "chest-ct-dicom", None).volume
    for click in ((-8.0, 112.0, -159.0), (-6.0, 108.0, -159.5)):
        with pytest.raises(VertebraNotFoundError, match=DISC_WORDS):
            find_vertebra(volume, click)
    # T12 itself, clicked in its body, is found
    assert not find_vertebra(volume, (-6.0, 118.0, -140.0)).body_cut_by_view


def _cut_above(ph_volume: Volume, z_top: float) -> Volume:
    """The volume without its slices above ``z_top`` (axial, head first: axis 0 runs to +z)."""
    n = ph_volume.shape[0]
    z = ph_volume.index_to_lps_points(np.stack([np.arange(n), np.zeros(n), np.zeros(n)], axis=1))[:, 2]
    stop = int(np.flatnonzero(z <= z_top).max()) + 1
    return ph_volume.crop((0, 0, 0), (stop, ph_volume.shape[1], ph_volume.shape[2]))


def test_body_cut_by_the_scans_top_is_said_and_its_edge_is_no_endplate() -> None:
    ph = make_vertebra_phantom(adjacent=True, seed=5)
    bottom = ph.center_lps[2] - 0.5 * ph.body_height_mm
    cut = _cut_above(ph.volume, bottom + KEPT_MM)
    click = ph.center_lps - np.array([0.0, 0.0, 3.0])
    anatomy = find_vertebra(cut, click)
    assert anatomy.body_cut_by_view == ("superior",)
    assert anatomy.superior_endplate is None
    assert anatomy.inferior_endplate is not None
    figures = vertebra_figures(anatomy)
    assert figures["body_cut_by_scan"] == ["top"]
    words = "body cut by the top of the scan: height and volume are partial, superior end plate not seen"
    assert words in figures["warnings"]
    lines = figure_lines(figures)
    assert lines[0] == f"warning: {words}"
    assert any(line.startswith("superior endplate: not seen") for line in lines)
    # the whole body in view: nothing cut, both endplates found
    whole = find_vertebra(ph.volume, click)
    assert whole.body_cut_by_view == ()
    assert whole.superior_endplate is not None
    assert vertebra_figures(whole)["warnings"] == []


@pytest.mark.realdata
def test_abdomen_t12_cut_by_the_scans_top(shared_data: Path) -> None:
    """Abdomen T12 fills the scan's last slices: cut at the top; its body and inferior endplate stay
    out of L1 (before: 1.6 mL of the body and 22 of the 99 endplate voxels in the model's L1)."""
    folder = shared_data / "abdomen-pelvis-ct"
    volume = read_image(folder / "ct.nii.gz")
    labels = read_image(folder / "labels-model.nii.gz").array
    l1 = labels == 31  # the model's L1 (data README)
    anatomy = find_vertebra(volume, (4.5, -111.0, 416.6))
    assert anatomy.body_cut_by_view == ("superior",)
    assert anatomy.superior_endplate is None
    assert anatomy.inferior_endplate is not None
    endplate = anatomy.inferior_endplate.to_full()
    assert (endplate & l1).sum() <= 0.05 * endplate.sum()
    body = anatomy.body.to_full()
    assert (body & l1).sum() <= 0.01 * body.sum()


def test_endplates_carry_centre_and_tilt() -> None:
    ph = make_vertebra_phantom(pitch_deg=12.0, seed=3)
    anatomy = find_vertebra(ph.volume, ph.center_lps)
    axis = ph.superior_endplate_center_lps - ph.inferior_endplate_center_lps
    axis /= np.linalg.norm(axis)
    tilt = np.degrees(np.arccos(abs(axis[2])))
    # the plane rises anteriorly (towards -y) when its upward normal leans posteriorly (+y)
    sagittal = np.degrees(np.arctan2(axis[1], axis[2]))
    for name, truth in (
        ("superior", ph.superior_endplate_center_lps),
        ("inferior", ph.inferior_endplate_center_lps),
    ):
        plane = anatomy.endplate_planes[name]
        assert np.linalg.norm(np.subtract(plane.center_lps, truth)) <= ENDPLATE_CENTRE_MM, name
        assert abs(plane.tilt_from_axial_deg - tilt) <= ENDPLATE_TILT_DEG, name
        assert abs(plane.sagittal_tilt_deg - sagittal) <= ENDPLATE_TILT_DEG, name
    e = vertebra_figures(anatomy)["endplates"]["superior"]
    assert e["found"] and abs(e["tilt_from_axial_deg"] - tilt) <= ENDPLATE_TILT_DEG
    line = next(x for x in figure_lines(vertebra_figures(anatomy)) if x.startswith("superior endplate"))
    assert "deg from the axial plane" in line and "mm LPS" in line


def test_metal_through_a_pedicle_is_found_and_placed() -> None:
    ph = make_vertebra_phantom(seed=4)
    assert find_vertebra(ph.volume, ph.center_lps).metal is None
    vol = ph.volume
    ped = ph.pedicles[Side.RIGHT]
    idx = np.indices(vol.shape).reshape(3, -1).T.astype(np.float64)
    pts = vol.index_to_lps_points(idx)
    a, b = ped.entry_lps, ped.target_lps
    t = np.clip(((pts - a) @ (b - a)) / ((b - a) @ (b - a)), 0.0, 1.0)
    rod = (np.linalg.norm(pts - (a + t[:, None] * (b - a)), axis=1) <= ROD_RADIUS_MM).reshape(vol.shape)
    array = vol.array.copy()
    array[rod] = ROD_HU
    anatomy = find_vertebra(vol.with_array(array), ph.center_lps)
    metal = anatomy.metal
    assert metal is not None
    assert metal.side == "right"
    assert "right pedicle" in metal.near or not anatomy.pedicles.get(Side.RIGHT)
    assert "left pedicle" not in metal.near
    assert metal.max_hu > METAL_THRESHOLD_HU
    # its volume: the rod's voxels (all in the search region)
    assert metal.volume_ml == pytest.approx(rod.sum() * np.prod(vol.spacing_mm) / 1000.0, rel=0.01)
    figures = vertebra_figures(anatomy)
    assert figures["metal"]["side"] == "right"
    assert any("metal" in w and "may be wrong" in w for w in figures["warnings"])
    # a pedicle not traced on the metal's side says the metal may have hidden it (abdomen L3 with the
    # QA's rod: "right pedicle not traced", no reason given)
    untraced = dataclasses.replace(anatomy, pedicles={Side.LEFT: anatomy.pedicles[Side.LEFT]})
    assert "metal lies on this side" in vertebra_figures(untraced)["pedicles"]["right"]["reason"]


@pytest.mark.realdata
def test_no_metal_near_abdomen_l3_though_the_scan_holds_a_hip_implant(shared_data: Path) -> None:
    volume = read_image(shared_data / "abdomen-pelvis-ct" / "ct.nii.gz")
    # the scan holds metal (a hip implant, about 14 mL above the threshold), far below L3
    assert (volume.array > METAL_THRESHOLD_HU).sum() * np.prod(volume.spacing_mm) > 1000.0
    anatomy = find_vertebra(volume, (4.9, -141.3, 315.7))
    assert anatomy.metal is None
    assert anatomy.body_cut_by_view == ()
