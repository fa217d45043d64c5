"""Conformance cases that do not reach 0 ULP, with the distance measured and why.

Each entry maps a file-name pattern (fnmatch) to ``(max_ulp, reason)``. ``verify`` and the
tests accept such a recording only at or below its pinned distance, so a regression cannot
hide behind it; a pinned case that becomes bit-identical is reported as such.

Every golden and live recording currently replays bit for bit, so there are no pins.
"""

PINS = {}
