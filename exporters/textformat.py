"""Low-level pieces of the Prometheus text formats: label escaping and value formatting.

Both text format 0.0.4 and OpenMetrics 1.0.0 write a sample line the same way, so lines built here are
shared by both encodings. Escaping follows prometheus-client (`openmetrics._escape` with ALLOWUTF8):
backslash, newline and double quote in label values; nothing else.
"""

from __future__ import annotations

import math
from collections.abc import Iterable


def escape_label_value(value: str) -> str:
    """Escape a label value exactly as prometheus-client does."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def label_pairs(pairs: Iterable[tuple[str, str]]) -> str:
    """`name="value",...` (no braces); pairs whose value is empty are dropped, as Prometheus treats them."""
    return ",".join(f'{name}="{escape_label_value(value)}"' for name, value in pairs if value)


def format_value(value: float) -> str:
    """A sample value both formats accept: integers as integers, floats in their shortest round-trip form."""
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(value)


def format_bound(bound: float) -> str:
    """A histogram `le` value as prometheus-client writes it (`floatToGoString`), so series names agree."""
    if math.isinf(bound):
        return "+Inf" if bound > 0 else "-Inf"
    text = repr(float(bound))
    dot = text.find(".")
    if bound > 0 and dot > 6:  # Go switches to exponent notation sooner than Python
        mantissa = f"{text[0]}.{text[1:dot]}{text[dot + 1 :]}".rstrip("0.")
        return f"{mantissa}e+{dot - 1:02d}"
    return text


def encode(text: str) -> bytes:
    """UTF-8 bytes for the wire; a lone surrogate (broken upstream JSON) becomes '?' rather than failing
    the whole scrape."""
    return text.encode("utf-8", "replace")


def help_line(name: str, text: str, *, openmetrics: bool) -> str:
    """`# HELP` line; OpenMetrics also escapes double quotes there, text format 0.0.4 does not."""
    escaped = text.replace("\\", "\\\\").replace("\n", "\\n")
    if openmetrics:
        escaped = escaped.replace('"', '\\"')
    return f"# HELP {name} {escaped}\n"
