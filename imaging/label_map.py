"""A label map given where a CT is expected: told apart by its values and refused by name.

A segmentation file (labels 0, 1, 2, ...) opened as the CT had its label values read as HU (QA session
21 F9: a click on the abdomen's model labels was told "the point reads 29 HU near it, soft tissue",
label 29 being L3). A volume is judged a label map when all of these hold:

- its lowest value is 0 (``LABEL_BACKGROUND``): a label map's background is 0 and its labels count up,
  while a CT in HU holds air (-1000 HU) around the patient or in the lungs and bowel, and fat (about
  -100 HU) in every body part; a CT stored without its rescale (raw 0..4095) is caught by the count
  below;
- every value is a whole number (labels are integers; a CT's HU are whole numbers too, so this alone
  says nothing: it keeps a resampled, non-integer volume from being judged);
- it holds at least 2 and at most ``LABEL_MAX_DISTINCT`` distinct values: a background and some label;
  8-bit labels give at most 256, and the largest whole-body label sets (about 120 structures) fit in
  it, while a CT's HU take a thousand or more distinct values over a few slices. A volume of one value
  throughout (a blank or a uniform test block) is not called a label map.

Measured (session 21, every volume ``imaging.load.load_volume`` loads under shared/data and the
bundled sample case): the CTs' lowest values are -3024 to -14 HU (the 2-slice enhanced-CT phantom
``eCT_Supplemental.dcm`` -14 HU, 216 distinct values; every other CT holds 1782 to 3465 distinct
values, or is float and not whole: the bone-lesion patches); the 6 label maps hold 3 to 32 distinct
values from 0 up. So each CT fails the first test and each label map passes all of them.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["LABEL_BACKGROUND", "LABEL_MAX_DISTINCT", "label_map_reason"]

#: a label map's lowest value: its background; every CT holds air or fat below it
LABEL_BACKGROUND = 0
#: a label map holds at most this many distinct values (8-bit labels); a CT's HU take a thousand or more
LABEL_MAX_DISTINCT = 256


def label_map_reason(array: npt.NDArray[np.generic]) -> str | None:
    """Why ``array`` looks like a label map rather than a CT in HU (a plain sentence), else None.

    Cheap for a CT: a value below 0 (every CT has some) ends the test after one pass for the minimum.
    """
    if array.size == 0:
        return None
    low = array.min()
    if float(low) != LABEL_BACKGROUND:
        return None
    whole = np.issubdtype(array.dtype, np.integer) or (
        bool(np.all(np.isfinite(array))) and np.array_equal(array, np.round(array))
    )
    if not whole:
        return None
    values = np.unique(array)
    if not 2 <= len(values) <= LABEL_MAX_DISTINCT:
        return None
    high = array.max()
    return (
        f"it looks like a label map (segmentation), not a CT in HU: its {len(values)} distinct value(s) are "
        f"whole numbers from {float(low):.0f} to {float(high):.0f}, none below {LABEL_BACKGROUND} "
        "(a CT holds air and fat below 0 HU and a thousand or more distinct values); open the CT image itself"
    )
