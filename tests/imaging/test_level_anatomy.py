"""Level suggestions from anatomy: ribs (lowest rib-bearing vertebra = T12) and the sacrum (S1).

Phantom: tests/phantoms/rib_spine.py (ribs on the levels asked for, a sacrum between two ilia, 2 mm grid).
Real data: abdomen-pelvis-ct with its model-made vertebra labels (3 mm voxels; the label centroid of
each vertebra is used as its position, so these checks do not depend on the vertebra finder), and the
chest CT (whole thoracic spine, body centres given in ../shared/data/README-derived task notes).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imaging.level_anatomy import (
    LevelSuggestion,
    RibFinding,
    RibStatus,
    SacrumFinding,
    has_ribs,
    has_ribs_anatomy,
    is_sacrum,
    refusal_hint,
    suggest_levels,
    suggestion_for_vertebra,
)
from imaging.mask import Mask
from imaging.vertebra_model import PedicleAxis, Side, VertebraAnatomy
from imaging.volume import Volume
from tests.phantoms.rib_spine import PITCH_MM, RibSpinePhantom, make_rib_spine_phantom

# their timings are measured in tests/benchmarks/bench_level_foramina.py, not asserted here (the brief:
# performance is measured in benchmarks, not in unit tests)


@pytest.fixture(scope="module")
def spine() -> RibSpinePhantom:
    return make_rib_spine_phantom()


@pytest.fixture(scope="module")
def spine_findings(spine: RibSpinePhantom) -> tuple[list[RibFinding], list[SacrumFinding]]:
    ribs = [has_ribs(spine.volume, c) for c in spine.centers_lps]
    sacrum = [is_sacrum(spine.volume, c) for c in spine.centers_lps]
    return ribs, sacrum


# -- phantom --------------------------------------------------------------------------------------
def test_phantom_ribs_by_construction(
    spine: RibSpinePhantom, spine_findings: tuple[list[RibFinding], list[SacrumFinding]]
) -> None:
    ribs, _ = spine_findings
    for level, finding in zip(spine.levels, ribs, strict=True):
        expected = level in spine.rib_levels
        assert finding.has_ribs is expected, f"{level}: {finding.reason}"
        for side in finding.sides:
            assert side.status == (RibStatus.FOUND if expected else RibStatus.NOT_FOUND), side.reason
            if expected:  # the constructed rib runs to 115 mm; the ROI measures it to 85 mm
                assert side.lateral_extent_mm >= 65.0
            elif level.startswith("L"):  # constructed transverse processes end 45 mm from the midline
                assert side.lateral_extent_mm == pytest.approx(45.0, abs=4.0)
    l1 = ribs[spine.levels.index("L1")]
    assert "transverse process" in l1.left.reason
    assert "rib" in ribs[spine.levels.index("T12")].left.reason
    assert "broad" in ribs[spine.levels.index("S1")].left.reason  # the iliac wing is not a rib


def test_phantom_sacrum_by_construction(
    spine: RibSpinePhantom, spine_findings: tuple[list[RibFinding], list[SacrumFinding]]
) -> None:
    _, sacrum = spine_findings
    for level, finding in zip(spine.levels, sacrum, strict=True):
        assert finding.is_sacrum is (level == "S1"), f"{level}: {finding.reason}"
    s1 = sacrum[-1]
    assert s1.joined == {Side.LEFT: True, Side.RIGHT: True}
    assert "alae meet the iliac bones" in s1.reason
    # L5's transverse processes end 13 mm from the iliac wing: no joint
    l5 = sacrum[spine.levels.index("L5")]
    assert l5.joined == {Side.LEFT: False, Side.RIGHT: False}
    assert "no joint" in l5.reason


def test_phantom_suggestions(
    spine: RibSpinePhantom, spine_findings: tuple[list[RibFinding], list[SacrumFinding]]
) -> None:
    ribs, sacrum = spine_findings
    found = suggest_levels(spine.centers_lps, ribs, sacrum)
    assert [(spine.levels[s.index], s.level) for s in found] == [("T12", "T12"), ("S1", "S1")]
    assert found[0].reason == "lowest vertebra with ribs (left and right)"
    assert all(not s.warnings for s in found)
    # named correctly: no warning; named one off: each suggestion warns, none is changed
    l3 = spine.levels.index("L3")
    agreed = suggest_levels(spine.centers_lps, ribs, sacrum, named_index=l3, named_level="L3")
    assert all(not s.warnings for s in agreed)
    off = suggest_levels(spine.centers_lps, ribs, sacrum, named_index=l3, named_level="L2")
    assert [s.level for s in off] == ["T12", "S1"]
    assert "counts as T11" in off[0].warnings[0] and "transitional" in off[0].warnings[0]
    assert "counts as L5" in off[1].warnings[0]


def test_phantom_order_does_not_matter(
    spine: RibSpinePhantom, spine_findings: tuple[list[RibFinding], list[SacrumFinding]]
) -> None:
    ribs, sacrum = spine_findings
    perm = np.random.default_rng(3).permutation(len(ribs))
    found = suggest_levels(spine.centers_lps[perm], [ribs[i] for i in perm], [sacrum[i] for i in perm])
    assert [(spine.levels[perm[s.index]], s.level) for s in found] == [("T12", "T12"), ("S1", "S1")]


def test_phantom_lumbar_rib_is_transitional() -> None:
    """Ribs on L1 too (a thirteenth pair): anatomy points at L1 as "T12" and warns against the count."""
    spine = make_rib_spine_phantom(rib_levels={"T11", "T12", "L1"}, seed=4)
    ribs = [has_ribs(spine.volume, c) for c in spine.centers_lps]
    assert [spine.levels[i] for i, f in enumerate(ribs) if f.has_ribs] == ["T11", "T12", "L1"]
    sacrum: list[SacrumFinding | bool | None] = [None] * (len(ribs) - 1) + [True]
    l3 = spine.levels.index("L3")
    found = suggest_levels(spine.centers_lps, ribs, sacrum, named_index=l3, named_level="L3")
    t12 = found[0]
    assert t12.level == "T12" and spine.levels[t12.index] == "L1"
    assert any("counts as L1" in w for w in t12.warnings)
    assert any("about 5 levels apart, not 6" in w for w in t12.warnings)


def test_out_of_view_side_is_undecided(spine: RibSpinePhantom) -> None:
    """A field of view cut 30 mm right of the midline: that side is not judged, no T12 from it."""
    vol = spine.volume
    cut_col = round(float(vol.lps_to_index_points([-30.0, 0.0, 0.0])[2]))
    cropped = vol.crop((0, 0, cut_col), vol.shape)
    l1 = has_ribs(cropped, spine.center("L1"))
    assert l1.right.status == RibStatus.OUT_OF_VIEW and l1.left.status == RibStatus.NOT_FOUND
    assert l1.has_ribs is None
    t12 = has_ribs(cropped, spine.center("T12"))
    assert t12.left.status == RibStatus.FOUND and t12.has_ribs is True
    found = suggest_levels([spine.center("T12"), spine.center("L1")], [t12, l1], [None, None])
    assert found == []


def phantom_vertebra(spine: RibSpinePhantom, level: str, named: str | None = None) -> VertebraAnatomy:
    """A found vertebra at the phantom's ``level`` (frame from its canal and pedicles), named ``named``."""
    c = spine.center(level)
    nothing = Mask(np.zeros((1, 1, 1), dtype=bool), (0, 0, 0), spine.volume.shape)
    pedicles = {
        side: PedicleAxis(side, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), 8.0, (s * 12.0, 18.0, float(c[2]) + 1.0))
        for side, s in ((Side.LEFT, 1.0), (Side.RIGHT, -1.0))
    }
    return VertebraAnatomy(
        body=nothing,
        canal=nothing,
        posterior_wall=nothing,
        body_volume_ml=0.0,
        body_centroid_lps=(float(c[0]), float(c[1]), float(c[2])),
        body_height_mm=24.0,
        canal_centroid_lps=(float(c[0]), float(c[1]) + 22.0, float(c[2])),
        canal_area_mm2=0.0,
        posterior_wall_points_lps=(),
        posterior_wall_intact=True,
        posterior_wall_defects=(),
        pedicles=pedicles,
        level=named,
    )


def test_anatomy_wrapper_and_single_vertebra(spine: RibSpinePhantom) -> None:
    """has_ribs from a VertebraAnatomy (frame from canal and pedicles) and the one-vertebra suggestion."""
    c = spine.center("T12")
    anatomy = phantom_vertebra(spine, "T12")
    assert has_ribs_anatomy(spine.volume, anatomy).found_sides == (Side.LEFT, Side.RIGHT)
    height = PITCH_MM * 3.0 / 4.0  # the phantom's body (24 mm) is 3/4 of the pitch
    t12 = suggestion_for_vertebra(spine.volume, c, height_mm=height)
    assert t12 is not None and t12.level == "T12"
    assert suggestion_for_vertebra(spine.volume, spine.center("T11"), height_mm=height) is None
    assert suggestion_for_vertebra(spine.volume, spine.center("L2"), height_mm=height) is None
    s1 = suggestion_for_vertebra(spine.volume, spine.center("S1"), height_mm=height)
    assert s1 is not None and s1.level == "S1" and "iliac" in s1.reason


def test_refusal_hint_names_s1_only_on_the_sacrum(spine: RibSpinePhantom) -> None:
    hint = refusal_hint(spine.volume, spine.center("S1"))
    assert hint is not None and "S1" in hint and "L5" in hint and "iliac" in hint
    for level in ("T12", "L2"):
        assert refusal_hint(spine.volume, spine.center(level)) is None


def test_on_a_full_size_grid(spine: RibSpinePhantom) -> None:
    """The search works on a 512x512 grid (the phantom padded with air) as on the phantom's own."""
    small = spine.volume
    big = np.full((small.shape[0], 512, 512), -1000, dtype=np.int16)
    big[:, : small.shape[1], : small.shape[2]] = small.array
    vol = Volume(big, small.index_to_lps)
    c = spine.center("T12")
    finding = has_ribs(vol, c)
    assert finding.has_ribs is True
    assert is_sacrum(vol, spine.center("S1")).is_sacrum is True


def test_bad_arguments(spine: RibSpinePhantom) -> None:
    with pytest.raises(ValueError, match='"centroid_lps"'):
        has_ribs(spine.volume, (0.0, 1.0))
    with pytest.raises(ValueError, match="parallel"):
        has_ribs(spine.volume, (0.0, 0.0, 0.0), posterior_lps=(0.0, 0.0, 2.0))
    with pytest.raises(ValueError, match='"rib_flags"'):
        suggest_levels([[0.0, 0.0, 0.0]], [True, False], [None])
    assert suggest_levels(np.zeros((0, 3)), [], []) == []
    lone: list[LevelSuggestion] = suggest_levels([[0.0, 0.0, 0.0]], [True], [False])
    assert lone == []  # no vertebra below: cannot know it is the lowest with ribs


# -- real data ------------------------------------------------------------------------------------
ABDOMEN_LEVELS = {33: "T11", 32: "T12", 31: "L1", 30: "L2", 29: "L3", 28: "L4", 27: "L5", 26: "S1"}
#: chest-ct-dicom vertebral body centres (LPS mm), from the brief: x about -10, y about 125
CHEST_Z_MM = (46.0, 23.0, 1.0, -21.0, -45.0, -68.0, -92.0, -116.0, -140.0)


@pytest.fixture(scope="module")
def abdomen(shared_data: Path) -> tuple[Volume, dict[str, np.ndarray]]:
    from imaging.image_files import read_image

    folder = shared_data / "abdomen-pelvis-ct"
    ct = read_image(folder / "ct.nii.gz")
    labels = read_image(folder / "labels-model.nii.gz")
    centroids = {}
    for value, level in ABDOMEN_LEVELS.items():
        idx = np.argwhere(labels.array == value)
        centroids[level] = ct.index_to_lps_points(idx.mean(axis=0))
    return ct, centroids


@pytest.mark.realdata
def test_abdomen_ribs_and_sacrum(abdomen: tuple[Volume, dict[str, np.ndarray]]) -> None:
    ct, centroids = abdomen
    levels = list(centroids)
    ribs = [has_ribs(ct, centroids[lev]) for lev in levels]
    sacrum = [is_sacrum(ct, centroids[lev]) for lev in levels]
    judged = {lev: (r.has_ribs, s.is_sacrum) for lev, r, s in zip(levels, ribs, sacrum, strict=True)}
    for lev in ("T11", "T12"):
        assert judged[lev][0] is True, f"{lev}: {ribs[levels.index(lev)].reason}"
    for lev in ("L1", "L2", "L3", "L4", "L5", "S1"):
        assert judged[lev][0] is False, f"{lev}: {ribs[levels.index(lev)].reason}"
    assert judged["S1"][1] is True, sacrum[levels.index("S1")].reason
    for lev in ("T12", "L1", "L2", "L3", "L4", "L5"):
        assert judged[lev][1] is False, f"{lev}: {sacrum[levels.index(lev)].reason}"
    found = suggest_levels([centroids[lev] for lev in levels], ribs, sacrum)
    assert [(levels[s.index], s.level) for s in found] == [("T12", "T12"), ("S1", "S1")]
    # named L3 where label 29 is: the counting agrees with both suggestions
    named = suggest_levels(
        [centroids[lev] for lev in levels], ribs, sacrum, named_index=levels.index("L3"), named_level="L3"
    )
    assert all(not s.warnings for s in named)


@pytest.mark.realdata
def test_chest_thoracic_vertebrae_carry_ribs(chest_ct: Volume) -> None:
    vol = chest_ct
    centres = [np.array([-10.0, 125.0, z]) for z in CHEST_Z_MM]
    ribs = [has_ribs(vol, c) for c in centres]
    for z, finding in zip(CHEST_Z_MM, ribs, strict=True):
        assert finding.has_ribs is True, f"z={z}: {finding.reason}"
    for c in centres:
        assert is_sacrum(vol, c).is_sacrum is False
    # every vertebra carries ribs: none can be called the lowest
    assert suggest_levels(centres, ribs, [False] * len(centres)) == []
