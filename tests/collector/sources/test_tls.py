"""TLS: a loopback HTTPS server signed by a throw-away CA is refused by default and trusted via ca_bundle."""

from __future__ import annotations

import http.server
import json
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from collector.models import OK, Platform, Reason
from collector.sources import build_source
from collector.sources.http import tls_context
from tests.collector.sources.helpers import channels, run, settings


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("pki")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
             "-days", "2", "-subj", "/CN=govpulse test root CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=127.0.0.1", cwd=d)
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                               "extendedKeyUsage=serverAuth\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf", cwd=d)
    return d


class _ChatHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        chat = {"chat_id": -1, "status": "active", "title": "t", "participants_count": 42}
        body = json.dumps(chat).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def https_url(pki: Path) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ChatHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki / "server.pem", pki / "server.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def _sweep(url: str, ca_bundle: Path | None) -> tuple[str, int | None]:
    async def go() -> tuple[str, int | None]:
        cfg = settings(Platform.MAX, base_url=url, ca_bundle=ca_bundle, max_retries=0)
        source = build_source(Platform.MAX, cfg)
        try:
            sample = (await source.fetch(channels(Platform.MAX, "-1")))[0]
        finally:
            await source.aclose()
        return sample.status, sample.subscribers

    return run(go())


def test_unknown_ca_is_refused(https_url: str) -> None:
    assert _sweep(https_url, None) == (Reason.NETWORK.value, None)


def test_configured_ca_bundle_is_trusted(https_url: str, pki: Path) -> None:
    assert _sweep(https_url, pki / "ca.pem") == (OK, 42)


def test_verification_is_always_on(pki: Path) -> None:
    for context in (tls_context(), tls_context(pki / "ca.pem")):
        assert context.verify_mode is ssl.CERT_REQUIRED
        assert context.check_hostname is True
    with_bundle = tls_context(pki / "ca.pem")
    assert len(with_bundle.get_ca_certs()) == len(tls_context().get_ca_certs()) + 1
