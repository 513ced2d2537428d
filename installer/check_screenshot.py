"""Check a bundle's smoke-test output: one CT series found, and a demo picture that shows images.

The picture must not be blank: the 2D views of a CT in a bone window have many grey levels and a
good share of bright pixels, where a black or failed render has almost none.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image


def main() -> int:
    info_path, png_path = sys.argv[1], sys.argv[2]
    info = json.loads(Path(info_path).read_text(encoding="utf-8"))
    series = info["series"]
    if len(series) != 1 or series[0]["shape"][0] < 100:
        print(f"unexpected series in the sample case: {series}")
        return 1
    pixels = np.asarray(Image.open(png_path).convert("L"), dtype=np.uint8)
    bright = float(np.mean(pixels > 100))
    levels = len(np.unique(pixels))
    print(f"screenshot {pixels.shape[1]}x{pixels.shape[0]}: {bright:.1%} bright pixels, {levels} grey levels")
    if bright < 0.05 or levels < 64:
        print("the demo picture looks blank")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
