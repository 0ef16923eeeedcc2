"""HTTP client construction: the OS trust store plus an optional CA bundle, verification always on.

The real Max host is signed by the Russian Trusted Root CA, which administrators install in the OS
store (or point `ca_bundle` at). httpx's own default trusts only certifi, so the context is passed in.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx

from collector.config import PlatformSettings

USER_AGENT = "govpulse/0.1"


def tls_context(ca_bundle: Path | None = None) -> ssl.SSLContext:
    """The system's default CAs, plus `ca_bundle` when configured. Never an unverified context."""
    context = ssl.create_default_context()
    if ca_bundle is not None:
        context.load_verify_locations(cafile=str(ca_bundle))
    return context


def build_client(settings: PlatformSettings) -> httpx.AsyncClient:
    """One pooled client per source, sized to its concurrency, with the platform's timeout."""
    return httpx.AsyncClient(
        verify=tls_context(settings.ca_bundle),
        timeout=httpx.Timeout(settings.timeout_seconds),
        limits=httpx.Limits(
            max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency
        ),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
    )


def base_url(settings: PlatformSettings) -> str:
    """The configured base URL without a trailing slash, ready for `f"{base}/path"`."""
    return str(settings.base_url).rstrip("/")
