"""Encoding a `MetricsState` snapshot as text format 0.0.4 or OpenMetrics 1.0.0, and choosing between them.

Sample lines are identical in both formats; they differ in the family headers (a counter is `x_total` in
0.0.4 and `x` in OpenMetrics, and OpenMetrics also escapes `"` in HELP) and in OpenMetrics' closing
`# EOF`. Negotiation follows prometheus-client's `choose_encoder`; compression its `gzip_accepted`.
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from functools import cache

from exporters.metric_families import FamilySpec
from exporters.metrics_state import MetricsState
from exporters.textformat import help_line

CONTENT_TYPE_TEXT = "text/plain; version=0.0.4; charset=utf-8"
CONTENT_TYPE_TEXT_1_0_0 = "text/plain; version=1.0.0; charset=utf-8"
CONTENT_TYPE_OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"

_ESCAPINGS = frozenset({"allow-utf-8", "underscores", "dots", "values"})

# Level 1 keeps a 90 MB exposition at well under a second of CPU; text this repetitive still shrinks ~10x.
GZIP_LEVEL = 1


@dataclass(frozen=True, slots=True)
class Encoding:
    openmetrics: bool
    content_type: str


@cache
def _header(spec: FamilySpec, openmetrics: bool) -> bytes:
    name = spec.name if openmetrics else spec.sample_name
    return (help_line(name, spec.help, openmetrics=openmetrics) + f"# TYPE {name} {spec.kind}\n").encode()


def render(state: MetricsState, *, openmetrics: bool) -> bytes:
    """The whole exposition. No timestamps: values are the latest the collector has.

    Written into one growing buffer: `b"".join` would need a 80-byte buffer descriptor per line on top of
    the result (half again the size of a 200,000-channel body), `BytesIO.writelines` needs none.
    """
    out = io.BytesIO()
    for family in state.collect():
        out.write(_header(family.spec, openmetrics))
        out.writelines(family.lines)
    if openmetrics:
        out.write(b"# EOF\n")
    return out.getvalue()


def _params(tokens: list[str]) -> dict[str, str]:
    pairs = (token.strip().split("=", 1) for token in tokens if "=" in token)
    return {key.strip(): value.strip() for key, value in pairs}


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in text.split("."))


def choose_encoding(accept: str | None) -> Encoding:
    """The format to answer with, given an Accept header (same decisions as prometheus-client)."""
    for accepted in (accept or "").split(","):
        media, *tokens = accepted.split(";")
        media = media.strip()
        params = _params(tokens)
        version = params.get("version", "")
        escaping = params.get("escaping", "underscores")
        escaping = escaping if escaping in _ESCAPINGS else "underscores"
        if media == "application/openmetrics-text":
            if not version:
                return Encoding(True, CONTENT_TYPE_OPENMETRICS)
            if _version(version) >= (1, 0, 0):
                # Every govpulse name is a legacy name, so all escaping schemes give the same bytes.
                return Encoding(True, f"{CONTENT_TYPE_OPENMETRICS}; escaping={escaping}")
        elif media == "text/plain" and version and _version(version) >= (1, 0, 0):
            return Encoding(False, f"{CONTENT_TYPE_TEXT_1_0_0}; escaping={escaping}")
    return Encoding(False, CONTENT_TYPE_TEXT)


def gzip_accepted(accept_encoding: str | None) -> bool:
    """True when the client takes gzip (a `q=0` refusal is honoured)."""
    for accepted in (accept_encoding or "").split(","):
        coding, *tokens = accepted.split(";")
        if coding.strip().lower() == "gzip":
            q = _params(tokens).get("q", "1")
            try:
                return float(q) > 0
            except ValueError:
                return True
    return False


def compress(body: bytes) -> bytes:
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
