"""Content negotiation and compression decisions, checked against prometheus-client's own."""

from __future__ import annotations

import gzip

import pytest
from prometheus_client import exposition as client
from prometheus_client.openmetrics import exposition as client_openmetrics

from collector.models import Platform
from collector.regions import load_regions
from exporters.prometheus import (
    CONTENT_TYPE_OPENMETRICS,
    CONTENT_TYPE_TEXT,
    MetricsState,
    choose_encoding,
    compress,
    gzip_accepted,
    render,
)

PROMETHEUS_2_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)
PROMETHEUS_3_ACCEPT = (
    "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
    "application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,"
    "text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
)
ACCEPTS = [
    None,
    "",
    "*/*",
    "text/plain",
    "text/plain;version=0.0.4",
    "text/plain; version=1.0.0; escaping=underscores",
    "application/openmetrics-text",
    "application/openmetrics-text; version=1.0.0",
    "application/openmetrics-text; version=0.0.1",
    "application/openmetrics-text; version=0.0.1, text/plain; version=0.0.4",
    "application/json, application/openmetrics-text",
    PROMETHEUS_2_ACCEPT,
    PROMETHEUS_3_ACCEPT,
]


@pytest.mark.parametrize("accept", ACCEPTS)
def test_format_choice_matches_prometheus_client(accept: str | None) -> None:
    encoder, content_type = client.choose_encoder(accept)  # type: ignore[arg-type]
    theirs_openmetrics = getattr(encoder, "func", encoder) is client_openmetrics.generate_latest
    ours = choose_encoding(accept)
    assert ours.openmetrics == theirs_openmetrics
    assert ours.content_type.split(";")[:2] == content_type.split(";")[:2]  # media type and version


def test_content_types() -> None:
    assert (
        choose_encoding(None).content_type == CONTENT_TYPE_TEXT == "text/plain; version=0.0.4; charset=utf-8"
    )
    assert choose_encoding("application/openmetrics-text").content_type == CONTENT_TYPE_OPENMETRICS


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, False),
        ("", False),
        ("gzip", True),
        ("deflate, GZIP;q=0.8", True),
        ("br", False),
        ("gzip;q=0", False),
    ],
)
def test_gzip_acceptance(header: str | None, expected: bool) -> None:
    assert gzip_accepted(header) is expected
    if header and "q=0" not in header.replace("q=0.", ""):
        assert client.gzip_accepted(header) is expected  # same answer as prometheus-client


def test_compressed_body_round_trips() -> None:
    state = MetricsState(regions=load_regions(), version="x", platforms=[Platform.MAX])
    body = render(state, openmetrics=True)
    packed = compress(body)
    assert gzip.decompress(packed) == body
    assert len(packed) < len(body) / 3
