#!/usr/bin/env python3
"""Draws the app and tray icons as RGBA PNGs (no downloads, standard library only).

The app icon is a dark rounded square holding three ticket cards; the tray
icons are a filled circle whose colour shows the state. Run from the repository
root: python3 scripts/make-icons.py (the output is committed under icons/).
"""
import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "icons"


def png(path, size, pixel):
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x / size, y / size)) for x in range(size)) for y in range(size)
    )

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0))
    data += chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
    path.write_bytes(data)


def inside_rounded(x, y, x0, y0, x1, y1, r):
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        return False
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def app_icon(x, y):
    if not inside_rounded(x, y, 0.04, 0.04, 0.96, 0.96, 0.18):
        return (0, 0, 0, 0)
    # Three ticket cards in status colours: new, preparing, ready.
    for i, colour in enumerate([(59, 130, 246), (245, 158, 11), (34, 197, 94)]):
        x0 = 0.14 + i * 0.25
        if inside_rounded(x, y, x0, 0.22, x0 + 0.21, 0.78, 0.04):
            # A header band and two text lines on each card.
            if y < 0.34:
                return (*colour, 255)
            if (0.42 < y < 0.47 or 0.54 < y < 0.59) and x0 + 0.03 < x < x0 + 0.18:
                return (148, 163, 184, 255)
            return (241, 245, 249, 255)
    return (30, 41, 59, 255)


def dot(colour):
    def pixel(x, y):
        d = ((x - 0.5) ** 2 + (y - 0.5) ** 2) ** 0.5
        if d <= 0.40:
            return (*colour, 255)
        if d <= 0.46:
            return (255, 255, 255, 255)
        return (0, 0, 0, 0)

    return pixel


OUT.mkdir(exist_ok=True)
for name, size in [("32x32.png", 32), ("128x128.png", 128), ("128x128@2x.png", 256), ("icon.png", 512)]:
    png(OUT / name, size, app_icon)
for name, colour in [("tray-ok.png", (34, 197, 94)), ("tray-receiver-down.png", (220, 38, 38)), ("tray-tunnel-down.png", (245, 158, 11))]:
    png(OUT / name, 32, dot(colour))
print("wrote", ", ".join(sorted(p.name for p in OUT.iterdir())))
