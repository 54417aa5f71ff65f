"""Media files built for tests: container outlines with chosen facts."""

from __future__ import annotations

import struct


def mp4_lasting(seconds: int, *, version: int = 0, timescale: int = 1000) -> bytes:
    """An MP4 outline whose movie header (mvhd) says how long it lasts."""
    if version == 0:
        header = struct.pack(">B3xIIII", 0, 0, 0, timescale, seconds * timescale)
    else:
        header = struct.pack(">B3xQQIQ", 1, 0, 0, timescale, seconds * timescale)
    mvhd = b"mvhd" + header + b"\x00" * 80
    moov = b"moov" + struct.pack(">I", len(mvhd) + 4) + mvhd
    ftyp = b"ftypisom\x00\x00\x02\x00isom"
    mdat = b"mdat" + b"\x00" * 64
    return b"".join(struct.pack(">I", len(box) + 4) + box for box in (ftyp, moov, mdat))
