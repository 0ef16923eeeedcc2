"""systemd units (deploy/systemd): `systemd-analyze verify` and the hardening every unit must keep.

verify wants the ExecStart binary to exist: each unit is copied with /opt/govpulse/bin/govpulse pointed at a
stub executable in the test's directory. It exits 0 on unknown keys and bad values (it only warns), so any
output at all fails the test.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.support import SYSTEMD_DIR

BINARY = "/opt/govpulse/bin/govpulse"
UNITS = sorted(SYSTEMD_DIR.glob("*.service"))
REQUIRED = {
    "DynamicUser": "yes",
    "User": "govpulse",
    "ConfigurationDirectory": "govpulse",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "CapabilityBoundingSet": "",
    "RestartPreventExitStatus": "2",
}


def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """Sections → key → values (systemd allows a key more than once; continuation lines are not used)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{path.name}: key outside a section: {line}"
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not KEY=VALUE: {line}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def test_the_three_units_exist() -> None:
    assert [u.name for u in UNITS] == ["govpulse-notify.service", "govpulse.service", "govpulse@.service"]


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_unit_is_hardened_and_complete(unit: Path) -> None:
    sections = parse_unit(unit)
    service = sections["Service"]
    for key, value in REQUIRED.items():
        assert service.get(key) == [value], f"{key} in {unit.name}"
    assert service["EnvironmentFile"][0] == "/etc/govpulse/secrets.env"
    assert service["StateDirectory"][0].startswith("govpulse")
    (exec_start,) = service["ExecStart"]
    assert exec_start.startswith(BINARY + " ") and "--config.file=/etc/govpulse/govpulse.yaml" in exec_start
    assert sections["Install"]["WantedBy"] == ["multi-user.target"]


def test_shard_template_separates_state_per_ordinal() -> None:
    service = parse_unit(SYSTEMD_DIR / "govpulse@.service")["Service"]
    assert service["StateDirectory"] == ["govpulse/shard-%i"]
    assert "--shard=%i" in service["ExecStart"][0]
    assert "/etc/govpulse/shard-%i.env" in service["EnvironmentFile"]
    paths = [
        v
        for v in service["Environment"]
        if v.startswith(("GOVPULSE_STORE__PATH=", "GOVPULSE_SPOOL__DIRECTORY="))
    ]
    assert len(paths) == 2 and all("/var/lib/govpulse/shard-%i/" in p for p in paths)


def _verify(tmp_path: Path, unit_text: str, name: str) -> subprocess.CompletedProcess[str]:
    stub = tmp_path / "bin" / "govpulse"
    stub.parent.mkdir(exist_ok=True)
    stub.write_text("#!/bin/sh\nexit 0\n")
    stub.chmod(0o755)
    copy = tmp_path / name
    copy.write_text(unit_text.replace(BINARY, str(stub)), encoding="utf-8")
    systemd_analyze = shutil.which("systemd-analyze")
    assert systemd_analyze, "systemd-analyze is missing (Debian package systemd)"
    return subprocess.run(
        [systemd_analyze, "verify", "--man=no", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_systemd_analyze_verify(unit: Path, tmp_path: Path) -> None:
    name = unit.name.replace("@.", "@0.")  # a template is verified as one of its instances
    result = _verify(tmp_path, unit.read_text(encoding="utf-8"), name)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_verify_reports_a_misspelt_key(tmp_path: Path) -> None:
    text = (SYSTEMD_DIR / "govpulse.service").read_text(encoding="utf-8")
    result = _verify(tmp_path, text.replace("NoNewPrivileges=", "NoNewPrivilege="), "govpulse.service")
    assert "Unknown key" in result.stderr
