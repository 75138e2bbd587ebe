"""Positions in PostgreSQL's write-ahead log: what a consistency token carries."""

from __future__ import annotations

import re
from dataclasses import dataclass

# PostgreSQL prints an LSN as two hexadecimal halves: `16/B374D848`.
_LSN_TEXT = re.compile(r"^([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})$")


@dataclass(frozen=True, order=True)
class WalPosition:
    """A log sequence number; positions compare in log order."""

    value: int

    @classmethod
    def parse(cls, text: str) -> WalPosition:
        """The position printed as `hi/lo`; ValueError for anything else."""
        match = _LSN_TEXT.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"not a WAL position: {text!r}")
        high, low = (int(half, 16) for half in match.groups())
        return cls(high << 32 | low)

    def __str__(self) -> str:
        return f"{self.value >> 32:X}/{self.value & 0xFFFFFFFF:X}"
