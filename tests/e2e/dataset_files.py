"""Files a person would import as a data set of their own, made from real MNIST digits (site/data):
PNGs written with zlib (a greyscale PNG is a header, the rows deflated, and CRCs), zips written with
Python's zipfile (another zip writer than the page's fflate), and Kaggle-layout CSV text."""
from __future__ import annotations

import base64
import io
import struct
import zipfile
import zlib

import numpy as np


def png(grey: np.ndarray) -> bytes:
    """A 8-bit greyscale PNG of ``grey`` (uint8, shape (h, w))."""
    h, w = grey.shape
    chunk = lambda kind, data: (struct.pack(">I", len(data)) + kind + data  # noqa: E731
                                + struct.pack(">I", zlib.crc32(kind + data)))
    rows = b"".join(b"\x00" + grey[y].astype(np.uint8).tobytes() for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def scanned(digit: np.ndarray, seed: int) -> np.ndarray:
    """A real MNIST digit (784 uint8, light on black) as a person's scan: dark ink on a light grey
    page, three times larger, somewhere off-centre in a larger, wider image."""
    rng = np.random.default_rng(seed)
    big = np.kron(digit.reshape(28, 28), np.ones((3, 3), dtype=np.uint8))  # 84 x 84
    page = np.full((130, 150), 235, dtype=np.uint8)
    y, x = rng.integers(0, 130 - 84), rng.integers(0, 150 - 84)
    page[y:y + 84, x:x + 84] = 235 - (big.astype(np.int32) * 235 // 255)
    return page


def zip_bytes(files: dict) -> bytes:
    """A zip (deflated) of {path: bytes}; a path ending in / is a folder entry."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def kaggle_csv(images: np.ndarray, labels) -> str:
    """Kaggle's MNIST layout: label,pixel0,...,pixel783 and a row per image."""
    header = ",".join(["label"] + [f"pixel{i}" for i in range(784)])
    return "\n".join([header] + [",".join([str(lab)] + [str(int(v)) for v in img]) for img, lab in zip(images, labels)]) + "\n"


def as_file_js(data: bytes, name: str) -> str:
    """A JavaScript expression making a File of ``data`` named ``name`` in the page."""
    return (f"new File([Uint8Array.from(atob('{base64.b64encode(data).decode()}'), c => c.charCodeAt(0))], "
            f"{name!r})")
