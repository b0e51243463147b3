"""What a reader sees on a PDF's pages: each page rendered to an image (PyMuPDF) and
read back by Tesseract (Debian's ``tesseract-ocr``, run as a program), normalised as
``tests.leaks`` normalises. Checks the pages, not the text layer, so text that
extraction and the eye disagree about is read the way the eye reads it."""
from __future__ import annotations

import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pymupdf

from tests.leaks import norm

# Enough for Tesseract to read 10 pt body text without a miss, at a third of the
# time of 200 dpi.
DPI = 150


def available() -> bool:
    return shutil.which("tesseract") is not None


def page_texts(pdf: bytes, dpi: int = DPI) -> list[str]:
    """The OCR text of every page, normalised (pages read side by side, each Tesseract
    on one thread: several at once use the cores better than one spreading itself)."""
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        images = [page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY).tobytes("png")
                  for page in doc]
    with ThreadPoolExecutor(max_workers=max(1, min(len(images), os.cpu_count() or 1))) as pool:
        return list(pool.map(_read, images))


def _read(png: bytes) -> str:
    result = subprocess.run(["tesseract", "-", "-", "-l", "eng", "--psm", "3"], input=png,
                            capture_output=True, timeout=120, check=True,
                            env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    return norm(result.stdout.decode("utf-8", "replace"))
