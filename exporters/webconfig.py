"""Web configuration in the format of the Prometheus exporter-toolkit (`--web.config.file`).

```yaml
tls_server_config:
  cert_file: server.crt          # paths relative to this file's directory
  key_file: server.key
  client_ca_file: ca.crt         # with client_auth_type VerifyClientCertIfGiven or RequireAndVerifyClientCert
  client_auth_type: RequireAndVerifyClientCert
  min_version: TLS12             # TLS10 .. TLS13; default TLS12
  max_version: TLS13
http_server_config:
  headers: {X-Frame-Options: deny}
basic_auth_users:
  prometheus: $2y$10$...         # bcrypt hash (htpasswd -nBC 10 "" | tr -d ':\\n')
```

Every problem in a file is reported at once in a `WebConfigError`. Differences from exporter-toolkit:
Python's ssl module cannot accept a client certificate without verifying it, so `RequestClientCert` and
`RequireAnyClientCert` are refused; `cipher_suites`, `curve_preferences` and inline `cert`/`key` are not
supported; `http2` is accepted and ignored (aiohttp speaks HTTP/1.1). Certificates are read at start-up.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from exporters.basicauth import BasicAuth

TLS_VERSIONS: Mapping[str, ssl.TLSVersion] = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}
CLIENT_AUTH: Mapping[str, ssl.VerifyMode] = {
    "NoClientCert": ssl.CERT_NONE,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
}
_UNSUPPORTED_AUTH = ("RequestClientCert", "RequireAnyClientCert")
_TOP_KEYS = ("tls_server_config", "http_server_config", "basic_auth_users")
_TLS_KEYS = ("cert_file", "key_file", "client_ca_file", "client_auth_type", "min_version", "max_version")
_HTTP_KEYS = ("headers", "http2")
_BCRYPT = re.compile(r"^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$")


class WebConfigError(ValueError):
    """The web configuration file cannot be used; the message lists every problem."""


@dataclass(frozen=True, slots=True)
class WebConfig:
    ssl_context: ssl.SSLContext | None = None
    basic_auth_users: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)

    def authenticator(self) -> BasicAuth | None:
        return BasicAuth(self.basic_auth_users) if self.basic_auth_users else None


def load_web_config(path: str | Path) -> WebConfig:
    """Read and validate a web configuration file; raises WebConfigError naming the file and each problem."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise WebConfigError(f"{path}: cannot read: {error}") from error
    problems: list[str] = []
    config = parse_web_config(data, base_dir=path.parent, problems=problems)
    if problems:
        raise WebConfigError(f"{path}: " + "; ".join(problems))
    return config


def parse_web_config(data: Any, *, base_dir: Path, problems: list[str]) -> WebConfig:
    """Build a WebConfig from parsed YAML, appending every problem found to `problems`."""
    if data is None:
        return WebConfig()
    if not isinstance(data, dict):
        problems.append("the file must hold a mapping")
        return WebConfig()
    _unknown_keys(data, _TOP_KEYS, "", problems)
    users = _users(data.get("basic_auth_users"), problems)
    headers = _headers(data.get("http_server_config"), problems)
    context = _tls(data.get("tls_server_config"), base_dir, problems)
    return WebConfig(ssl_context=context, basic_auth_users=users, headers=headers)


def _unknown_keys(
    section: Mapping[Any, Any], known: tuple[str, ...], prefix: str, problems: list[str]
) -> None:
    for key in section:
        if key not in known:
            problems.append(f"{prefix}{key}: unknown or unsupported key (known: {', '.join(known)})")


def _users(raw: Any, problems: list[str]) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append("basic_auth_users: must map user names to bcrypt hashes")
        return {}
    users: dict[str, str] = {}
    for user, hashed in raw.items():
        if not isinstance(hashed, str) or not _BCRYPT.match(hashed):
            problems.append(
                f"basic_auth_users.{user}: not a bcrypt hash (expected $2y$... as htpasswd -B makes)"
            )
        else:
            users[str(user)] = hashed
    return users


def _headers(raw: Any, problems: list[str]) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append("http_server_config: must be a mapping")
        return {}
    _unknown_keys(raw, _HTTP_KEYS, "http_server_config.", problems)
    headers = raw.get("headers") or {}
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        problems.append("http_server_config.headers: must map header names to strings")
        return {}
    return {str(k): v for k, v in headers.items()}


def _tls(raw: Any, base_dir: Path, problems: list[str]) -> ssl.SSLContext | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append("tls_server_config: must be a mapping")
        return None
    before = len(problems)
    _unknown_keys(raw, _TLS_KEYS, "tls_server_config.", problems)
    for key in ("cert_file", "key_file"):
        if not raw.get(key):
            problems.append(f"tls_server_config.{key}: required")
    auth = str(raw.get("client_auth_type") or "NoClientCert")
    _check_client_auth(auth, bool(raw.get("client_ca_file")), problems)
    versions = [
        _version(raw, key, default, problems)
        for key, default in (("min_version", "TLS12"), ("max_version", "TLS13"))
    ]
    if len(problems) > before:
        return None
    return _context(raw, base_dir, CLIENT_AUTH[auth], versions[0], versions[1], problems)


def _check_client_auth(auth: str, has_ca: bool, problems: list[str]) -> None:
    where = "tls_server_config.client_auth_type"
    if auth in _UNSUPPORTED_AUTH:
        problems.append(
            f"{where}: {auth} is not supported (Python's ssl cannot accept an unverified client "
            "certificate); use VerifyClientCertIfGiven or RequireAndVerifyClientCert"
        )
    elif auth not in CLIENT_AUTH:
        problems.append(f"{where}: unknown value {auth!r} (one of {', '.join(CLIENT_AUTH)})")
    elif auth == "NoClientCert" and has_ca:
        problems.append(
            f"{where}: client_ca_file is set but client_auth_type does not ask for client certificates"
        )
    elif auth != "NoClientCert" and not has_ca:
        problems.append(f"{where}: {auth} needs client_ca_file")


def _version(raw: Mapping[str, Any], key: str, default: str, problems: list[str]) -> ssl.TLSVersion:
    name = str(raw.get(key) or default)
    if name not in TLS_VERSIONS:
        problems.append(f"tls_server_config.{key}: unknown value {name!r} (one of {', '.join(TLS_VERSIONS)})")
        return TLS_VERSIONS[default]
    return TLS_VERSIONS[name]


def _context(
    raw: Mapping[str, Any],
    base_dir: Path,
    verify: ssl.VerifyMode,
    minimum: ssl.TLSVersion,
    maximum: ssl.TLSVersion,
    problems: list[str],
) -> ssl.SSLContext | None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.minimum_version, context.maximum_version = minimum, maximum
        context.load_cert_chain(base_dir / raw["cert_file"], base_dir / raw["key_file"])
        if raw.get("client_ca_file"):
            context.load_verify_locations(cafile=base_dir / raw["client_ca_file"])
        context.verify_mode = verify
    except (OSError, ssl.SSLError, ValueError) as error:
        problems.append(f"tls_server_config: cannot load certificate, key or CA: {error}")
        return None
    return context
