"""The ablation zone model of a plan: device profile (or custom dimensions) + zone centre -> zone figures.

One resolution for the window's Needles dock and the command line's plan spec: a device profile gives
the zone's width and length (CLINICAL.md "Microwave ablation zone models"); where the zone's centre lies
behind the antenna tip comes from the profile or, when the profile does not state it (the ECO-100A1 bone
figures) or someone sets another figure, from whoever gave it (the operator in the window, the plan spec
on the command line). The label says where the figures come from, marks unverified figures, and names a
centre that is not the profile's and who gave it. Custom dimensions (no profile) are the operator's own
figures, always unverified. Units mm; no positions here (the zones along a needle are
:func:`planning.ablation.zones_along_trajectory`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from planning.devices import DeviceProfile, tissue_warning
from planning.errors import PlanValidationError

#: the source named for custom dimensions (the operator's own figures, never verified)
CUSTOM_SOURCE = "operator-entered dimensions"

__all__ = [
    "CUSTOM_SOURCE",
    "CentreSource",
    "UnknownProfileError",
    "ZoneCentreMissingError",
    "ZoneModel",
    "resolve_zone_model",
]


class CentreSource(StrEnum):
    """Who gave a zone centre that is not the profile's, in the words of the zone's label."""

    OPERATOR = "entered by the operator"
    PLAN = "given in the plan"


@dataclass(frozen=True)
class ZoneModel:
    """The zone size chosen for a plan, where its centre lies on the antenna, and where the figures come
    from.

    ``source`` names the figures' source (a device profile's, or :data:`CUSTOM_SOURCE`);
    ``centre_given_by`` is set when the centre is not the profile's own figure (None: the profile's, or
    part of custom dimensions).
    """

    width_mm: float
    length_mm: float
    center_behind_tip_mm: float
    source: str
    unverified: bool
    profile: str = ""
    centre_given_by: CentreSource | None = None
    #: the tissue the profile's figures were measured in ("" when not stated, and for custom dimensions)
    tissue: str = ""

    @property
    def tissue_warning(self) -> str | None:
        """Why the zone may overstate an ablation in bone: a profile measured in another tissue, else None."""
        return tissue_warning(self.profile, self.tissue) if self.profile else None

    @property
    def centre_note(self) -> str:
        """``"centre N mm behind the antenna tip, <who gave it>"``, or "" for the profile's own centre."""
        if self.centre_given_by is None:
            return ""
        return f"centre {self.center_behind_tip_mm:g} mm behind the antenna tip, {self.centre_given_by}"

    @property
    def label(self) -> str:
        """Shown with the zone: ``"predicted, from <source>"``, the unverified mark, the centre's note."""
        text = f"predicted, from {self.source}" + (" (unverified)" if self.unverified else "")
        note = self.centre_note
        return f"{text}; {note}" if note else text

    @property
    def cited_source(self) -> str:
        """The source with the centre's note (``"<source>; centre N mm ..."``), without "predicted, from"."""
        note = self.centre_note
        return f"{self.source}; {note}" if note else self.source


class UnknownProfileError(PlanValidationError):
    """No device profile has this name.

    Parameters
    ----------
    field
        The name of the value (``"ablation.profile"``).
    name
        The profile's name as given (whatever a spec holds there).
    known
        The names of the profiles there are.
    """

    def __init__(self, field: str, name: object, known: list[str]) -> None:
        self.name = name
        super().__init__(field, name, f"one of the device profiles {known}")


class ZoneCentreMissingError(PlanValidationError):
    """A profile states only the zone's size, not where its centre lies behind the antenna tip, and no
    centre was given.

    Parameters
    ----------
    field
        The name of the missing value (``"ablation.center_behind_tip_mm"``).
    profile
        The profile.
    """

    def __init__(self, field: str, profile: DeviceProfile) -> None:
        self.profile = profile
        super().__init__(
            field,
            None,
            f'a number in mm with the profile: "{profile.name}" states only the zone\'s diameter, '
            "not where its centre lies behind the antenna tip",
        )


def resolve_zone_model(
    profile: str,
    profiles: Mapping[str, DeviceProfile],
    *,
    center_behind_tip_mm: float | None = None,
    width_mm: float | None = None,
    length_mm: float | None = None,
    centre_given_by: CentreSource = CentreSource.OPERATOR,
    where: str = "",
) -> ZoneModel:
    """The zone model of a device profile and an optional centre, or of custom dimensions.

    Parameters
    ----------
    profile
        The device profile's name; "" for custom dimensions.
    profiles
        The device profiles by name (:func:`planning.devices.load_device_profiles`).
    center_behind_tip_mm
        Where the zone's centre lies behind the antenna tip (mm). With a profile: None takes the
        profile's figure; a figure other than the profile's is named in the label with
        ``centre_given_by``. Required for custom dimensions.
    width_mm, length_mm
        Custom dimensions (diameter across and extent along the antenna, mm), used only without a
        profile: a profile's zone size is its own, so that its figures trace to its source.
    centre_given_by
        Who gave a centre that is not the profile's (the label's wording).
    where
        The place of these values in a spec, prefixed to the field names in errors (``"ablation"``).

    Returns
    -------
    ZoneModel
        The zone's figures, source, unverified mark and label.

    Raises
    ------
    UnknownProfileError
        For a profile name not in ``profiles``.
    ZoneCentreMissingError
        For a profile that does not state the zone's centre when no centre is given.
    PlanValidationError
        For custom dimensions with a figure missing (the first one missing is named).
    """
    if profile:
        p = profiles.get(profile)
        if p is None:
            raise UnknownProfileError(_field(where, "profile"), profile, sorted(profiles))
        centre = p.center_behind_tip_mm if center_behind_tip_mm is None else center_behind_tip_mm
        if centre is None:
            raise ZoneCentreMissingError(_field(where, "center_behind_tip_mm"), p)
        given_by = centre_given_by if centre != p.center_behind_tip_mm else None
        return ZoneModel(
            p.width_mm, p.length_mm, centre, p.source, p.unverified, p.name, given_by, tissue=p.tissue
        )
    if width_mm is None or length_mm is None or center_behind_tip_mm is None:
        dims = {"width_mm": width_mm, "length_mm": length_mm, "center_behind_tip_mm": center_behind_tip_mm}
        missing = next(key for key, value in dims.items() if value is None)
        raise PlanValidationError(_field(where, missing), None, 'a number (or give "profile")')
    return ZoneModel(width_mm, length_mm, center_behind_tip_mm, CUSTOM_SOURCE, True)


def _field(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key
