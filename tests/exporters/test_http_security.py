"""Basic auth and TLS from an exporter-toolkit web configuration file, over real loopback connections."""

from __future__ import annotations

import asyncio
import shutil
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path

import bcrypt
import httpx
import pytest

from collector.models import Platform
from collector.regions import load_regions
from exporters.basicauth import BasicAuth, parse_basic
from exporters.http import build_app, start_server
from exporters.prometheus import MetricsState
from exporters.webconfig import WebConfig, WebConfigError, load_web_config
from tests.support.tls import make_cert

PASSWORD = "s3cret-пароль"
HASH = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode().replace("$2b$", "$2y$", 1)

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI is missing")


def serve(config: WebConfig, scenario: Callable[[str], Awaitable[None]]) -> None:
    async def main() -> None:
        state = MetricsState(regions=load_regions(), version="1", platforms=[Platform.MAX])
        runner, url = await start_server(build_app(state, web_config=config), "127.0.0.1:0", config)
        try:
            await scenario(url)
        finally:
            await runner.cleanup()

    asyncio.run(main())


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_basic_auth(tmp_path: Path) -> None:
    config = load_web_config(write(tmp_path / "web.yml", f"basic_auth_users:\n  prometheus: '{HASH}'\n"))

    async def scenario(url: str) -> None:
        async with httpx.AsyncClient(base_url=url) as client:
            anonymous = await client.get("/metrics")
            assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Basic"
            assert (await client.get("/", auth=("prometheus", "wrong"))).status_code == 401
            assert (await client.get("/healthz", auth=("nobody", PASSWORD))).status_code == 401
            good = await client.get("/metrics", auth=("prometheus", PASSWORD))
            assert good.status_code == 200 and "govpulse_build_info" in good.text

    serve(config, scenario)


def test_successful_checks_are_cached_failures_are_not(monkeypatch: pytest.MonkeyPatch) -> None:
    auth = BasicAuth({"prometheus": HASH})
    calls: list[bytes] = []
    real = bcrypt.checkpw

    def counting(password: bytes, hashed: bytes) -> bool:
        calls.append(password)
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counting)
    assert not auth.cached("prometheus", PASSWORD)
    assert auth.verify("prometheus", PASSWORD) and auth.verify("prometheus", PASSWORD)
    assert auth.cached("prometheus", PASSWORD) and len(calls) == 1
    assert not auth.verify("prometheus", "wrong") and not auth.verify("prometheus", "wrong")
    assert not auth.verify("ghost", PASSWORD)  # unknown users pay a bcrypt check too
    assert len(calls) == 4 and not auth.cached("prometheus", "wrong")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Basic dTpwOnc=", ("u", "p:w")),
        ("basic dTpw", ("u", "p")),
        ("Bearer x", None),
        ("Basic !!", None),
        ("Basic dXNlcg==", None),
        (None, None),
    ],
)
def test_parse_basic(header: str | None, expected: tuple[str, str] | None) -> None:
    assert parse_basic(header) == expected


@needs_openssl
def test_tls_with_a_trusted_self_signed_certificate(tmp_path: Path) -> None:
    cert, _ = make_cert(tmp_path, "server")
    config = load_web_config(
        write(
            tmp_path / "web.yml",
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS12\n",
        )
    )

    async def scenario(url: str) -> None:
        assert url.startswith("https://127.0.0.1:")
        trusting = ssl.create_default_context(cafile=str(cert))
        async with httpx.AsyncClient(verify=trusting) as client:
            response = await client.get(url + "/metrics")
            assert response.status_code == 200 and "govpulse_shards" in response.text
        async with httpx.AsyncClient() as client:  # the system store does not know our certificate
            with pytest.raises(httpx.ConnectError):
                await client.get(url + "/metrics")

    serve(config, scenario)


@needs_openssl
def test_tls_client_certificates_and_basic_auth_together(tmp_path: Path) -> None:
    server_cert, _ = make_cert(tmp_path, "server")
    client_cert, client_key = make_cert(tmp_path, "client")
    config = load_web_config(
        write(
            tmp_path / "web.yml",
            (
                "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                "  client_ca_file: client.crt\n  client_auth_type: RequireAndVerifyClientCert\n"
                f"basic_auth_users:\n  prometheus: '{HASH}'\n"
            ),
        )
    )

    async def scenario(url: str) -> None:
        with_cert = ssl.create_default_context(cafile=str(server_cert))
        with_cert.load_cert_chain(client_cert, client_key)
        async with httpx.AsyncClient(verify=with_cert) as client:
            assert (await client.get(url + "/metrics")).status_code == 401
            assert (await client.get(url + "/metrics", auth=("prometheus", PASSWORD))).status_code == 200
        without_cert = ssl.create_default_context(cafile=str(server_cert))
        async with httpx.AsyncClient(verify=without_cert) as client:
            with pytest.raises(httpx.HTTPError):
                await client.get(url + "/metrics", auth=("prometheus", PASSWORD))

    serve(config, scenario)


def test_empty_file_means_no_tls_and_no_auth(tmp_path: Path) -> None:
    config = load_web_config(write(tmp_path / "web.yml", ""))
    assert config.ssl_context is None and config.authenticator() is None


@pytest.mark.parametrize(
    ("text", "messages"),
    [
        ("tls_server_config: [\n", ["cannot read"]),
        ("- a\n", ["must hold a mapping"]),
        (
            "basic_auth: {}\nbasic_auth_users: {u: plain}\n",
            ["basic_auth: unknown", "basic_auth_users.u: not a bcrypt"],
        ),
        (
            "tls_server_config: {cert_file: a.crt, client_auth_type: RequireAnyClientCert,"
            " min_version: SSL3}\n",
            [
                "key_file: required",
                "RequireAnyClientCert is not supported",
                "min_version: unknown value 'SSL3'",
            ],
        ),
        (
            "tls_server_config: {cert_file: a.crt, key_file: a.key, client_ca_file: ca.crt}\n",
            ["client_ca_file is set but client_auth_type"],
        ),
        (
            "tls_server_config: {cert_file: a.crt, key_file: a.key,"
            " client_auth_type: VerifyClientCertIfGiven}\n",
            ["needs client_ca_file"],
        ),
        (
            "tls_server_config: {cert_file: missing.crt, key_file: missing.key, cipher_suites: [x]}\n",
            ["cipher_suites: unknown or unsupported"],
        ),
        ("tls_server_config: {cert_file: missing.crt, key_file: missing.key}\n", ["cannot load certificate"]),
        ("http_server_config: {headers: {X-A: 1}, http3: true}\n", ["http3: unknown", "headers: must map"]),
    ],
)
def test_bad_files_list_every_problem(tmp_path: Path, text: str, messages: list[str]) -> None:
    path = write(tmp_path / "web.yml", text)
    with pytest.raises(WebConfigError) as caught:
        load_web_config(path)
    assert str(caught.value).startswith(str(path))
    for message in messages:
        assert message in str(caught.value)


def test_configured_headers_are_sent(tmp_path: Path) -> None:
    config = load_web_config(
        write(tmp_path / "web.yml", "http_server_config:\n  headers: {X-Frame-Options: deny}\n")
    )

    async def scenario(url: str) -> None:
        async with httpx.AsyncClient() as client:
            assert (await client.get(url + "/")).headers["x-frame-options"] == "deny"

    serve(config, scenario)
