"""A vertebra search's refusal said in the operator's terms, and a body found that must be refused.

:func:`better_refusal` replaces what the search ran into with what the operator can act on: the sacrum
(with the S1 suggestion, :func:`imaging.level_anatomy.refusal_hint`), a click on a disc
(:func:`imaging.disc_click.disc_at_point`) whose end plates are as broad as a body's
(:mod:`imaging.disc_cover`; narrower ones are processes or the sternum, and where the point lies is said:
:mod:`imaging.spine_place`), or, added to the search's own reason, metal in the search
region (:func:`imaging.vertebra_metal.find_metal`; QA session 17: a rod through a pedicle, and the
refusal named a rib head). :func:`body_across_disc` refuses a body that reaches the scan's edge when the
click lies on a disc: the edge leaves no end plate to stop at there, and the body runs across the disc
into the next one (chest CT, (-8, 112, -159): 18 mL across the T12/L1 disc); and a body found from a
click on a disc whose own centroid lies on that disc: the search stopped at the two end plates that face
each other across the disc and took the disc between them for a body (QA s21, abdomen 3 mm: all 13
clicks at and 1.5 mm either side of the centres of the L4/L5 ... T12/L1 discs gave "bodies" of 26-34 mL,
16-21 mm tall, centred in the disc, with its two end plates as theirs). :func:`soft_front_refusal` refuses a
soft-tissue point in front of or beside the spine before any search (:mod:`imaging.click_soft`), but near
metal or on a disc. Positions LPS mm.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from imaging.bone import BONE_THRESHOLD_HU
from imaging.click_beside import BodyBesideCanalError
from imaging.click_soft import soft_outside_section_hull
from imaging.click_tissue import ClickTissue, Tissue
from imaging.disc_click import disc_at_point
from imaging.disc_cover import MIN_ENDPLATE_ACROSS_MM, endplate_cover_mm
from imaging.level_anatomy import refusal_hint
from imaging.mask import touches_grid_edge
from imaging.search_region import SearchRegion
from imaging.spine_middle import canal_on_the_middle
from imaging.spine_place import arch_words, place_words, spine_place
from imaging.vertebra_errors import ClickNotInBodyError, VertebraNotFoundError
from imaging.vertebra_metal import MetalFinding
from imaging.vertebra_model import VertebraAnatomy
from imaging.volume import Volume

__all__ = [
    "better_refusal",
    "body_across_disc",
    "body_is_disc",
    "placed_refusal",
    "soft_front_refusal",
]

#: the share of a "body's" section through a disc's middle that must read below bone
#: (:data:`imaging.bone.BONE_THRESHOLD_HU`) for the body to be that disc: most of it
MIN_DISC_SECTION_SOFT = 0.5

FloatArray = npt.NDArray[np.float64]


def soft_front_refusal(region: SearchRegion, tissue: ClickTissue) -> ClickNotInBodyError | None:
    """The refusal, before any search, of a point reading soft tissue out of reach of bone and outside the
    hull of its axial section's bone (:func:`imaging.click_soft.soft_outside_section_hull`), else None.

    Left to the search near metal (the point's HU may be a streak's, as for fat; the search names the metal)
    and on a disc: a disc reads soft tissue, and the axial section through its middle may hold no bone in
    front of the canal (the phantom's 10 mm discs, tests/imaging/test_vertebra_warnings.py: "soft tissue
    ..., the nearest bone lies 4 mm above it"), where :func:`better_refusal` says "disc". ``region``: the
    search's region round the point.
    """
    click = region.point
    outside = soft_outside_section_hull(region, tissue)
    if outside is None or disc_at_point(region.volume, click) is not None:
        return None
    if region.metal is not None:
        return None
    return outside.refusal(click)


def better_refusal(
    volume: Volume,
    click: FloatArray,
    refused: VertebraNotFoundError,
    *,
    metal: MetalFinding | None,
    tissue: ClickTissue | None = None,
) -> VertebraNotFoundError | None:
    """The refusal to raise instead of ``refused``, or None to raise it as it is.

    ``metal`` is the metal in the search region (:attr:`imaging.search_region.SearchRegion.metal`), which may
    be why; ``tissue`` what the point reads (None: not known). A point on bone behind the spinal canal that no
    "disc" was found at is said to lie on the vertebral arch (:func:`imaging.spine_place.arch_words`), with
    what to click: the search's own reason, "no spinal canal enclosed by bone behind the point", names no
    place (QA s29 F5: the bundled chest case's T9 spinous process, while a lamina beside it and the abdomen's
    spinous processes, where a "disc" between two processes was found, were told they lie on the arch).
    """
    hint = refusal_hint(volume, click)
    if hint is not None:
        return VertebraNotFoundError(f"{refused.reason}; {hint}", click)
    # a click on a disc finds no body of its own: say so rather than what the search ran into
    disc = disc_at_point(volume, click)
    if disc is not None:
        plates = endplate_cover_mm(volume, click, disc)
        if min(plates) >= MIN_ENDPLATE_ACROSS_MM:
            # metal in the search region may be why (its streaks can read as a disc too)
            said = disc.reason() if metal is None else f"{disc.reason()}; {metal.refusal_note()}"
            return VertebraNotFoundError(said, click)
        # bone pieces stacked along the spine, narrower than a body's end plates (spinous and transverse
        # processes, laminae, the sternum): no disc; where the point lies is said instead, when it is known
        words = place_words(spine_place(volume, click), plates, _bone_hu(tissue))
        if words is not None:
            said = words if metal is None else f"{words}; {metal.refusal_note()}"
            return ClickNotInBodyError(said, click)
    elif tissue is not None and tissue.tissue is Tissue.BONE:
        # no "disc" at the point (the bundled chest's T9 spinous process, (-5, 172, -68.5)): where it lies
        # is said when it is the arch of a canal down the trunk's middle; with no disc to tell the spine
        # from other bone, a hole in the scapula or the pelvis was taken for the canal (session 29: the
        # right scapula (-127, 138, 90) and the left acetabulum (55, -91, 130) were told "on the vertebral
        # arch"), and where the middle cannot be read nothing is said
        place = spine_place(volume, click)
        words = arch_words(place, tissue.median_hu)
        if words is not None and place.canal_lps is not None and canal_on_the_middle(volume, place.canal_lps):
            said = words if metal is None else f"{words}; {metal.refusal_note()}"
            return ClickNotInBodyError(said, click)
    if metal is not None:
        return VertebraNotFoundError(f"{refused.reason}; {metal.refusal_note()}", click)
    return None


def _bone_hu(tissue: ClickTissue | None) -> float | None:
    """What the point reads (median HU near it) when it reads bone, else None (not said)."""
    return tissue.median_hu if tissue is not None and tissue.tissue is Tissue.BONE else None


def placed_refusal(
    volume: Volume, click: FloatArray, tissue: ClickTissue, *, metal: MetalFinding | None
) -> BodyBesideCanalError | None:
    """For a body found beside the spinal canal (:mod:`imaging.click_beside`) from a point on bone on the
    vertebral arch, the refusal that says so (:func:`imaging.spine_place.arch_words`; QA s25 E8: a lamina
    was offered as a scapula, a rib or a pedicle), with ``metal`` named; else None.

    A point reading soft tissue keeps :mod:`imaging.click_beside`'s words, which say where it lies against
    the canal: a lytic lesion painted on chest T7's posterior wall was said to lie "on the body's back wall,
    at the front edge of the spinal canal", which "no bone encloses it" (:mod:`imaging.click_soft`) would
    lose.
    """
    if tissue.tissue is not Tissue.BONE:
        return None
    said = arch_words(spine_place(volume, click), tissue.median_hu)
    if said is None:
        return None
    return BodyBesideCanalError(said if metal is None else f"{said}; {metal.refusal_note()}", click)


def body_across_disc(
    volume: Volume, click: FloatArray, anatomy: VertebraAnatomy
) -> VertebraNotFoundError | None:
    """The refusal of a body that reaches the scan's edge found from a click on a disc, else None.

    The disc is looked for only for such bodies (it costs 0.1-0.25 s): elsewhere both discs bound the body.
    """
    if not _reaches_scan_edge(anatomy):
        return None
    disc = disc_at_point(volume, np.asarray(click, dtype=np.float64))
    return None if disc is None else VertebraNotFoundError(disc.reason(), click)


def body_is_disc(volume: Volume, click: FloatArray, anatomy: VertebraAnatomy) -> VertebraNotFoundError | None:
    """The refusal of a "body" that is the disc the click lies on, else None.

    All must hold: the body's centroid lies on a disc, the body holds that disc's middle (midway between
    its two end plates), most of the body's axial section through that middle reads below bone
    (:data:`imaging.bone.BONE_THRESHOLD_HU`, the generic 130 HU bone threshold of CLINICAL.md), and the
    click lies on a disc. A real body's centroid
    is mid-body, and no real body holds a disc's middle; a body cut short by the scan's edge may have its
    centroid near its end plate, on the disc's ridge, but the disc's middle lies beyond that end plate,
    outside the body. The centroid is judged first: the click alone is said to be on a disc for 12 of 107
    clicks in real bodies (clicks 5-8 mm off the centroid, near an end plate; QA s21
    /work/tasks/s21_Q_scripts/disc_on_body_clicks.py). Each judgement costs 0.1-0.35 s
    (:func:`imaging.disc_click.disc_at_point`), so what is known without one is judged before it:

    - a body that reaches the scan's edge is left to :func:`body_across_disc`, which the search asks
      first and which refuses such a body whenever the click lies on a disc, the last condition here:
      asked again it would find the same (session 21: the lumbar crop's L2 and L4 were profiled two or
      three times each, 0.36-0.77 s);
    - a body none of whose axial sections reads mostly below bone holds no such middle, wherever the disc
      lies (bodies of dense bone: chest CT T9 and T10, at most 44 % of a section).
    """
    if _reaches_scan_edge(anatomy):
        return None
    if _most_soft_section_share(volume, anatomy) < MIN_DISC_SECTION_SOFT:
        return None
    at_centroid = disc_at_point(volume, np.asarray(anatomy.body_centroid_lps, dtype=np.float64))
    if at_centroid is None:
        return None
    middle = 0.5 * (np.asarray(at_centroid.lower_endplate_lps) + np.asarray(at_centroid.upper_endplate_lps))
    index = np.rint(volume.lps_to_index_points(middle)).astype(int) - np.asarray(anatomy.body.offset_index)
    box = np.asarray(anatomy.body.array.shape)
    if np.any(index < 0) or np.any(index >= box) or not anatomy.body.array[tuple(index)]:
        return None
    # and the body's whole section through that middle reads as a disc, not as bone with a hole in it: the
    # disc finder takes the rim round a focus for two end plates (a lytic lesion 7 mm in radius in the
    # phantom vertebra's body centre: a "disc" between z 33 and 47 mm, its middle in the lesion; bone-
    # lesions case7, an upper thoracic body with patchy sclerotic metastases: from one of the seven clicks
    # of test_vertebra_pedicles_case7 the body's centroid lay on a "disc" between two sclerotic foci). A
    # disc is as wide as the bodies it joins, so most of the "body's" section there reads below bone
    if _soft_share_of_section(volume, anatomy, index) < MIN_DISC_SECTION_SOFT:
        return None
    disc = disc_at_point(volume, np.asarray(click, dtype=np.float64))
    return None if disc is None else VertebraNotFoundError(disc.reason(), click)


def _reaches_scan_edge(anatomy: VertebraAnatomy) -> bool:
    """Whether the body is cut by the scan's view or reaches its grid's edge: :func:`body_across_disc`
    judges such a body, :func:`body_is_disc` leaves it to that."""
    return bool(anatomy.body_cut_by_view or touches_grid_edge(anatomy.body))


def _soft_share_of_section(volume: Volume, anatomy: VertebraAnatomy, index: npt.NDArray[np.int_]) -> float:
    """The share of the body mask's voxels on the axial section through ``index`` (in the mask's box)
    that read below :data:`imaging.bone.BONE_THRESHOLD_HU` on the CT."""
    axial = _axial_axis(volume)
    plane: list[slice | int] = [slice(None)] * 3
    plane[axial] = int(index[axial])
    section = anatomy.body.array[tuple(plane)]
    if not section.any():
        return 0.0
    hu = _body_box_hu(volume, anatomy)[tuple(plane)]
    return float(np.mean(hu[section] < BONE_THRESHOLD_HU))


def _most_soft_section_share(volume: Volume, anatomy: VertebraAnatomy) -> float:
    """The largest :func:`_soft_share_of_section` over all the body's axial sections (0 for none): the
    same counts, divided the same way."""
    axial = _axial_axis(volume)
    others = tuple(a for a in range(3) if a != axial)
    body = anatomy.body.array
    soft = (_body_box_hu(volume, anatomy) < BONE_THRESHOLD_HU) & body
    n_body = body.sum(axis=others, dtype=np.int64)
    n_soft = soft.sum(axis=others, dtype=np.int64)
    held = n_body > 0
    return float(np.max(n_soft[held] / n_body[held])) if held.any() else 0.0


def _axial_axis(volume: Volume) -> int:
    """The volume's index axis that runs most nearly along the patient's long axis."""
    return int(np.argmax(np.abs(volume.index_to_lps[2, :3])))


def _body_box_hu(volume: Volume, anatomy: VertebraAnatomy) -> npt.NDArray[Any]:
    """The CT's values in the body mask's box."""
    lo = np.asarray(anatomy.body.offset_index)
    hi = lo + np.asarray(anatomy.body.array.shape)
    box = tuple(slice(int(a), int(b)) for a, b in zip(lo, hi, strict=True))
    return np.asarray(volume.array[box])
