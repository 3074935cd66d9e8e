"""Rendition names and their geometry: what `/media/{id}/{variant}.{ext}` means, shared by the
renderer and by the image object (so listed sizes are the sizes served).

- `original`: the stored master, whole;
- `w{N}`: N pixels wide, proportional, never wider than the master;
- `16x9`, `1x1`, `4x5`: the largest crop of that shape around the focal point, at most
  `CROP_WIDTH` wide; `16x9-w{N}`: the same crop N wide;
- `{W}x{H}` (any other shape) is a crop of that shape, W wide.

The ladder widths and the named crops are free; any other size needs a signature
(app/media/signing.py), so a client cannot make the server render and store endless sizes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LADDER = (320, 640, 960, 1280, 1920)
CROPS = {"16x9": (16, 9), "1x1": (1, 1), "4x5": (4, 5)}
CROP_WIDTH = 1280
MAX_SIDE = 4096
FORMATS = {"webp": "image/webp", "avif": "image/avif", "jpg": "image/jpeg", "png": "image/png"}
_VARIANT = re.compile(r"^(?:original|w(\d{1,4})|(\d{1,4})x(\d{1,4})(?:-w(\d{1,4}))?)$")


@dataclass(frozen=True)
class Variant:
    name: str
    width: int | None = None  # target width; None: the crop's default or the whole master
    ratio: tuple[int, int] | None = None  # a crop of this shape
    free: bool = True  # servable without a signature

    def geometry(self, mw: int, mh: int, fx: float,
                 fy: float) -> tuple[tuple[int, int, int, int], tuple[int, int]]:
        """The crop box (left, top, right, bottom) in the master and the output size."""
        if self.ratio is None:
            out_w = min(self.width or mw, mw)
            return (0, 0, mw, mh), (out_w, max(1, round(mh * out_w / mw)))
        a, b = self.ratio
        if mw * b > mh * a:
            cw, ch = max(1, min(mw, round(mh * a / b))), mh
        else:
            cw, ch = mw, max(1, min(mh, round(mw * b / a)))
        left = min(max(round(fx * mw - cw / 2), 0), mw - cw)
        top = min(max(round(fy * mh - ch / 2), 0), mh - ch)
        out_w = min(self.width or CROP_WIDTH, cw)
        out_h = max(1, min(ch, round(out_w * b / a)))
        return (left, top, left + cw, top + ch), (out_w, out_h)


def parse(name: str) -> Variant | None:
    """The variant a name asks for, or None for a name that is none."""
    match = _VARIANT.match(name)
    if match is None:
        return None
    width, rw, rh, crop_width = match.groups()
    if name == "original":
        return Variant(name)
    if width is not None:
        w = int(width)
        return Variant(name, width=w, free=w in LADDER) if 1 <= w <= MAX_SIDE else None
    a, b = int(rw), int(rh)
    if not (1 <= a <= MAX_SIDE and 1 <= b <= MAX_SIDE):
        return None
    named = f"{a}x{b}" in CROPS and f"{rw}x{rh}" == f"{a}x{b}"
    if named:
        if crop_width is None:
            return Variant(name, ratio=(a, b))
        w = int(crop_width)
        return Variant(name, width=w, ratio=(a, b), free=w in LADDER) if 1 <= w <= MAX_SIDE \
            else None
    if crop_width is not None:
        return None
    return Variant(name, width=a, ratio=(a, b), free=False)
