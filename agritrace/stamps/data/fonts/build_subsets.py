"""Rebuild the committed font subsets (run by hand; not needed at run time).

Sources are Debian's packages (install with ``apt-get install fonts-noto-core fonts-noto-cjk``),
both Noto fonts under the SIL Open Font License 1.1 (see OFL.txt beside this file):

- NotoSans-Regular/Bold.ttf (fonts-noto-core): Latin, Latin-1, Latin Extended-A/B, combining marks
  and Latin Extended Additional, which together cover Vietnamese.
- NotoSansCJK-Regular.ttc, face "Noto Sans CJK SC" (fonts-noto-cjk): every character of GB 2312
  (6,763 hanzi plus symbols), CJK punctuation and full-width forms.

    .venv/bin/python agritrace/stamps/data/fonts/build_subsets.py
"""

from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

HERE = Path(__file__).resolve().parent
NOTO = Path("/usr/share/fonts/truetype/noto")
CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")

LATIN = (
    list(range(0x20, 0x7F))
    + list(range(0xA0, 0x250))  # Latin-1, Extended-A, Extended-B
    + list(range(0x300, 0x370))  # combining diacritical marks
    + list(range(0x1E00, 0x1F00))  # Latin Extended Additional (Vietnamese)
    + list(range(0x2000, 0x2070))  # general punctuation
    + [0x20AB, 0x20AC, 0x2116, 0x2122, 0x2190, 0x2192, 0x25CF]  # ₫ € № ™ ← → ●
)


def gb2312() -> list[int]:
    chars = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes([hi, lo]).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    chars.update(range(0x3000, 0x3040))  # CJK symbols and punctuation
    chars.update(range(0xFF01, 0xFF5F))  # full-width forms
    chars.update(range(0x20, 0x7F))
    return sorted(chars)


def _subset(font: TTFont, unicodes: list[int], out: Path) -> None:
    options = subset.Options()
    options.hinting = False
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.layout_features = ["kern", "liga", "ccmp", "mark", "mkmk", "locl"]
    sub = subset.Subsetter(options)
    sub.populate(unicodes=unicodes)
    sub.subset(font)
    font.save(out)
    print(out.name, out.stat().st_size)


def main() -> None:
    for style in ("Regular", "Bold"):
        _subset(TTFont(NOTO / f"NotoSans-{style}.ttf"), LATIN, HERE / f"NotoSans-{style}-vi.ttf")
    faces = TTCollection(CJK).fonts
    sc = next(f for f in faces if f["name"].getDebugName(4) == "Noto Sans CJK SC")
    _subset(sc, gb2312(), HERE / "NotoSansSC-Regular-gb2312.otf")


if __name__ == "__main__":
    main()
