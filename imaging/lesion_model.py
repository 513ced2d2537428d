"""The result of segmenting a bone lesion from a seed point (values only, no algorithm).

Positions in LPS mm; volumes in mL; CT values in HU. The mask lies on the source volume's grid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from imaging.lesion_basis import ReferenceSite, TypeBasis
from imaging.lesion_involvement import Involvement
from imaging.mask import Mask

#: how a note begins when the lesion may be larger than its mask (:mod:`imaging.lesion` writes them):
#: growth stopped at the growth limit, or at the edge of the volume, of the region searched or of the
#: scan. :attr:`Lesion.warnings` picks these notes out for the operator to check the lesion's extent.
GROWTH_LIMIT_NOTE = "the lesion reaches the growth limit"
#: said in the growth-limit note when the lesion grows on as the limit moves out: its volume is the limit's
#: (:mod:`imaging.lesion_extent`)
NO_EDGE_NOTE = "no edge within reach"
BORDER_NOTE = "the lesion touches the edge of the volume"
SCAN_EDGE_NOTE = "the lesion reaches the edge of the scan"
EXTENT_WARNING_NOTES = (GROWTH_LIMIT_NOTE, BORDER_NOTE, SCAN_EDGE_NOTE)
#: how a note begins when the image's noise can change the lesion's call or volume
#: (:mod:`imaging.lesion_noise`)
NOISE_NOTE = "the image is noisy here"
#: the notes :attr:`Lesion.warnings` picks out: the extent's, and the noise's
WARNING_NOTES = (*EXTENT_WARNING_NOTES, NOISE_NOTE)
#: how the note begins of a mask whose type was judged on it (drawn by hand:
#: :func:`imaging.lesion_remeasure.measure_lesion_mask`) when most of it is like the normal bone it is
#: compared with; its type is then unsure (:attr:`Lesion.type_unsure`)
NORMAL_LIKE = "most of the mask is like the normal bone around it"


class LesionType(StrEnum):
    """Radiological type of a bone metastasis, judged against the patient's own normal bone."""

    LYTIC = "lytic"
    BLASTIC = "blastic"
    MIXED = "mixed"


@dataclass(frozen=True, eq=False)
class Lesion:
    """A segmented lesion and its measures.

    ``reference_bone_hu`` is the mean HU of the local normal trabecular bone the lesion was
    compared with. ``cortical_breach_lps`` lists, for each hole where the lesion crosses the cortex,
    the hole's centre on the bone's face (LPS; :func:`imaging.lesion_measure.lesion_measures`; before
    session 23 a voxel of the hole's edge).
    ``posterior_wall_involved`` is None outside a vertebra; it is True when the lesion reaches the wall
    band (shares a voxel with it or lies next to it: :class:`imaging.lesion_involvement.Involvement`).
    ``involvement`` holds the lesion's nearest distances to the wall and canal and its overlap with each
    pedicle when the vertebra's masks were given, else None. ``reference_site`` says where the reference
    was measured (None when the operator gave it) and ``type_basis`` the shares of voxels behind the type
    (None when the type was carried over, not judged): :mod:`imaging.lesion_basis`.
    """

    mask: Mask
    type: LesionType
    volume_ml: float
    max_diameter_mm: float
    mean_hu: float
    percentiles_hu: dict[int, float]
    reference_bone_hu: float
    centroid_lps: tuple[float, float, float]
    bbox_lps: tuple[tuple[float, float, float], tuple[float, float, float]]
    seed_lps: tuple[float, float, float]
    cortical_breach: bool = False
    cortical_breach_lps: tuple[tuple[float, float, float], ...] = ()
    posterior_wall_involved: bool | None = None
    notes: tuple[str, ...] = field(default=())
    involvement: Involvement | None = None
    reference_site: ReferenceSite | None = None
    type_basis: TypeBasis | None = None

    @property
    def type_unsure(self) -> bool:
        """True when the type was judged on a mask most of which is like the normal bone around it (a
        :data:`NORMAL_LIKE` note: neither its lytic nor its sclerotic share reaches ``mixed_min_fraction``,
        see ``type_basis``). ``type`` then holds the larger share's type only because a value is needed:
        it is not to be asserted, the operator chooses (QA s28 G3). Seeded lesions are never unsure: a
        seed in normal bone is refused (:mod:`imaging.lesion`, step 4)."""
        return any(note.startswith(NORMAL_LIKE) for note in self.notes)

    @property
    def warnings(self) -> tuple[str, ...]:
        """The notes that ask the operator to check the lesion: its extent (see ``EXTENT_WARNING_NOTES``)
        and a noisy image that can change its call or volume (``NOISE_NOTE``)."""
        return tuple(note for note in self.notes if note.startswith(WARNING_NOTES))

    def to_json(self) -> dict[str, Any]:
        """The ``lesion`` object of the command line's JSON (DESIGN.md)."""
        out: dict[str, Any] = {
            "type": self.type.value,
            "volume_ml": round(self.volume_ml, 3),
            "max_diameter_mm": round(self.max_diameter_mm, 2),
            "mean_hu": round(self.mean_hu, 1),
            "percentiles_hu": {str(k): round(v, 1) for k, v in self.percentiles_hu.items()},
            "centroid_lps": [round(v, 2) for v in self.centroid_lps],
            "bbox_lps": [[round(v, 2) for v in corner] for corner in self.bbox_lps],
            "reference_bone_hu": round(self.reference_bone_hu, 1),
            "seed_lps": [round(v, 2) for v in self.seed_lps],
            "cortical_breach": self.cortical_breach,
            "cortical_breach_lps": [[round(v, 2) for v in p] for p in self.cortical_breach_lps],
            "posterior_wall_involved": self.posterior_wall_involved,
            "notes": list(self.notes),
            # beyond DESIGN.md's keys: the notes that ask the operator to check the lesion (extent, noise)
            "warnings": list(self.warnings),
        }
        if self.involvement is not None:
            out["involvement"] = self.involvement.to_json()
        # beyond DESIGN.md's keys (QA s22 D4, D5): where the reference bone was measured (null when the
        # operator gave it), and the shares of voxels the type rests on
        out["reference_bone_site"] = None if self.reference_site is None else self.reference_site.to_json()
        out["type_basis"] = None if self.type_basis is None else self.type_basis.to_json()
        return out
