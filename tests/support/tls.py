"""Self-signed certificates for TLS tests on loopback (made with the openssl CLI)."""

from __future__ import annotations

import subprocess
from pathlib import Path

_EXTENSIONS = ("subjectAltName=IP:127.0.0.1", "basicConstraints=critical,CA:TRUE")


def make_cert(directory: Path, name: str) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1, signed by itself and usable as its own CA."""
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    command = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    command += ["-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", f"/CN={name}"]
    for extension in _EXTENSIONS:
        command += ["-addext", extension]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    return cert, key
