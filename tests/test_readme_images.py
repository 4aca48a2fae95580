"""Every image README.md shows exists in the repository, is a small PNG, and the console's
screenshots (bench/console_pages.py --screenshots) cover each of its pages at 1280x800."""

from __future__ import annotations

import re
import struct
from pathlib import Path

from .console_tour import PAGES, VIEWPORT

ROOT = Path(__file__).resolve().parents[1]
MAX_BYTES = 200_000


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", f"{path} is no PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_readme_images_exist_and_are_small_pngs() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    images = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", readme)
    assert images
    for target in images:
        path = ROOT / target
        assert path.is_file(), f"README.md shows {target}, which is missing"
        assert path.stat().st_size <= MAX_BYTES, f"{target}: {path.stat().st_size} bytes"
        png_size(path)
    shots = {f"docs/console/{name}.png" for name in PAGES}
    assert shots <= set(images), shots - set(images)
    for shot in shots:
        assert png_size(ROOT / shot) == (VIEWPORT["width"], VIEWPORT["height"]), shot
