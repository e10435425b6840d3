"""Opaque public ids.

UUIDv7 (RFC 9562): random enough that ids cannot be guessed or counted, but
time-ordered, so new rows land at the right edge of the primary-key index
instead of scattering like UUIDv4. Python 3.11 has no uuid7(), hence this.
"""

import os
import time
import uuid


def uuid7() -> uuid.UUID:
    """A new UUIDv7: 48-bit millisecond timestamp, version, variant, 74 random bits."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= (rand >> 68) << 64  # 12 random bits
    value |= 0b10 << 62  # variant
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)
