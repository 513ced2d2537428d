"""Does the needle fit the pedicle: the words said wherever a needle's pedicle width is shown.

One source for the needle's readout in the dock (its amber and red), the saved plan's trajectory warnings
(:func:`planning.plan_placement.trajectory_result`) and ``osteoplan plan``'s text, so all say the same.

CLINICAL.md "Needles and pedicles": a needle whose outer diameter exceeds the pedicle's narrowest width
calls for another route; the proposals add a safety margin (default 1 mm; the case's
``PlanSettings.pedicle_safety_margin_mm``, the plan spec's key of that name). The width is measured with an
uncertainty (+- mm, :func:`imaging.vertebra_pedicles.width_uncertainty`; QA s25 E2: on 3 mm slices one
pedicle read 8.1 to 12.1 mm from clicks 3 mm apart), so a width that clears the needle and margin whose
low end does not is said too: the needle may not fit. Widths and diameters in mm.
"""

from __future__ import annotations

from planning.vertebra_figures import width_said, width_uncertainty_said

__all__ = ["fit_warning", "low_end_mm"]

#: what to do about a pedicle the needle may not fit (CLINICAL.md "Needles and pedicles")
_ROUTE = "consider a parapedicular or transcostovertebral route"
_ADVICE = f"check the pedicle on the images, or {_ROUTE}"


def low_end_mm(width_mm: float, uncertainty_mm: float | None) -> float:
    """The low end of the width's range as said (the uncertainty rounded up, as the words give it)."""
    return width_mm - (0.0 if uncertainty_mm is None else width_uncertainty_said(uncertainty_mm))


def fit_warning(
    width_mm: float, uncertainty_mm: float | None, outer_diameter_mm: float, margin_mm: float
) -> str | None:
    """The warning for a needle of ``outer_diameter_mm`` through a pedicle ``width_mm`` wide (+-
    ``uncertainty_mm``, None when not known), with ``margin_mm`` of safety; None when its range clears
    the needle and the margin.

    Three cases: the width under the needle itself; the width under the needle plus the margin; the width
    clear of both but the low end of its range not ("may be under").
    """
    said = width_said(width_mm, uncertainty_mm)
    needle = f"the needle's {outer_diameter_mm:.2f} mm"
    if width_mm < outer_diameter_mm:
        return f"pedicle narrowest width {said} is under {needle}: {_ROUTE}"
    needed = outer_diameter_mm + margin_mm
    with_margin = f"{needle} + {margin_mm:g} mm margin"
    if width_mm < needed:
        return f"pedicle narrowest width {said} is under {with_margin}: {_ADVICE}"
    low = low_end_mm(width_mm, uncertainty_mm)
    if low < needed:
        return (
            f"pedicle narrowest width {said} may be under {with_margin}: the low end of its range, "
            f"{low:.1f} mm, is; {_ADVICE}"
        )
    return None
