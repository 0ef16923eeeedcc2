"""The docker compose stack (deploy/compose): schema, mounted files, variables, ports, the configs it runs.

No Docker engine here: the file is checked against the Compose Specification's JSON schema (vendored, see
schemas/README.md) after interpolating it with .env.example, as `docker compose config` would.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from collector.config import load_config
from collector.registry import load_files
from tests.deploy.support import (
    COMPOSE_DIR,
    DEPLOY,
    REPO,
    SCHEMAS,
    interpolate_tree,
    load_yaml,
    read_env_file,
    variables,
)

COMPOSE_FILE = COMPOSE_DIR / "compose.yaml"
ENV_EXAMPLE = COMPOSE_DIR / ".env.example"


@pytest.fixture(scope="module")
def example_env() -> dict[str, str]:
    return read_env_file(ENV_EXAMPLE)


@pytest.fixture(scope="module")
def compose(example_env: dict[str, str]) -> dict[str, Any]:
    """compose.yaml as Compose sees it with .env.example copied to .env."""
    document: dict[str, Any] = interpolate_tree(load_yaml(COMPOSE_FILE), example_env)
    return document


def _validator() -> jsonschema.Draft7Validator:
    schema = json.loads((SCHEMAS / "compose-spec.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_compose_file_matches_the_compose_specification(compose: dict[str, Any]) -> None:
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _validator().iter_errors(compose)
    ]
    assert errors == []


def test_the_schema_rejects_what_compose_rejects(compose: dict[str, Any]) -> None:
    """The vendored schema is not vacuous: a misspelt service key and an unknown condition are errors."""
    broken = json.loads(json.dumps(compose))
    broken["services"]["govpulse"]["restrat"] = "always"
    broken["services"]["govpulse"]["depends_on"]["influxdb"]["condition"] = "service_maybe"
    messages = [e.message for e in _validator().iter_errors(broken)]
    assert any("restrat" in m for m in messages)
    assert any("service_maybe" in m for m in messages)


def test_every_variable_is_documented_in_env_example(example_env: dict[str, str]) -> None:
    used = set(variables(COMPOSE_FILE.read_text(encoding="utf-8")))
    assert used, "compose.yaml uses no variable at all?"
    assert sorted(used - set(example_env)) == []


def test_env_example_defines_only_what_is_used(example_env: dict[str, str]) -> None:
    used = set(variables(COMPOSE_FILE.read_text(encoding="utf-8"))) | {"COMPOSE_PROFILES"}
    assert sorted(set(example_env) - used) == []


def test_required_variables_fail_without_env_file() -> None:
    """Secrets are `${VAR:?...}`: without a .env Compose stops instead of starting with empty passwords."""
    with pytest.raises(KeyError, match="INFLUXDB"):
        interpolate_tree(load_yaml(COMPOSE_FILE), {})


def _bind_sources(compose: dict[str, Any]) -> list[tuple[str, Path]]:
    named = set(compose.get("volumes", {}))
    binds = []
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume["source"]
            if source not in named:
                binds.append((name, (COMPOSE_DIR / source).resolve()))
        build = service.get("build")
        if build:
            context = (COMPOSE_DIR / build["context"]).resolve()
            binds.append((name, context / build["dockerfile"]))
    return binds


def test_every_mounted_file_exists_in_the_repository(compose: dict[str, Any]) -> None:
    binds = _bind_sources(compose)
    assert len(binds) >= 10
    missing = [f"{service}: {path}" for service, path in binds if not path.exists()]
    outside = [f"{service}: {path}" for service, path in binds if not path.is_relative_to(REPO)]
    assert missing == []
    assert outside == []


def _host_ports(compose: dict[str, Any]) -> list[tuple[str, str]]:
    ports = []
    for service in compose["services"].values():
        for port in service.get("ports", []):
            host_ip, host_port, _container = str(port).rsplit(":", 2)
            ports.append((host_ip, host_port))
    return ports


def test_published_ports_do_not_collide_and_stay_on_loopback(compose: dict[str, Any]) -> None:
    ports = _host_ports(compose)
    assert len(ports) == len(compose["services"])  # every service is reachable for a look
    assert [p for p, n in Counter(ports).items() if n > 1] == []
    assert {ip for ip, _port in ports} == {"127.0.0.1"}


def test_govpulse_processes_run_hardened(compose: dict[str, Any]) -> None:
    for name in ("govpulse", "notify", "sandbox"):
        service = compose["services"][name]
        assert service["user"] == "10001:10001", name
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name


def test_sandbox_is_an_optional_profile(compose: dict[str, Any]) -> None:
    profiled = {name for name, service in compose["services"].items() if service.get("profiles")}
    assert profiled == {"sandbox"}
    dependency = compose["services"]["govpulse"]["depends_on"]["sandbox"]
    assert dependency["required"] is False
    command = compose["services"]["sandbox"]["command"]
    assert "--allow-remote" in command and "--host=0.0.0.0" in command


def _config_env(example_env: dict[str, str], compose: dict[str, Any]) -> dict[str, str]:
    environment: dict[str, str] = compose["services"]["govpulse"]["environment"]
    assert all(key.startswith("GOVPULSE_") for key in environment)
    return environment


@pytest.mark.parametrize("config_name", ["govpulse.yaml", "govpulse.sandbox.yaml"])
def test_configs_load_with_the_compose_environment(
    config_name: str, example_env: dict[str, str], compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in [k for k in os.environ if k.startswith("GOVPULSE_")]:
        monkeypatch.delenv(key)
    for key, value in _config_env(example_env, compose).items():
        monkeypatch.setenv(key, value)
    settings = load_config(COMPOSE_DIR / config_name)
    assert settings.sinks.prometheus.listen_address.endswith(":9877")
    assert str(settings.sinks.influxdb.url).startswith("http://influxdb:8086")
    assert settings.platforms.enabled(), "the demo collects from every platform"
    for path in (settings.store.path, settings.spool.directory, settings.notify.outbox_path):
        assert path.is_relative_to("/var/lib/govpulse"), "state must live on the volume"


def _mount_target(service: dict[str, Any], volume_name: str) -> str:
    volumes: list[str] = service["volumes"]
    for volume in volumes:
        parts = volume.split(":")
        if parts[0] == volume_name:
            return parts[1]
    raise AssertionError(f"{volume_name} is not mounted")


def test_sandbox_config_points_at_the_sandbox_service(compose: dict[str, Any]) -> None:
    config = load_yaml(COMPOSE_DIR / "govpulse.sandbox.yaml")
    sandbox = compose["services"]["sandbox"]
    port = next(a.split("=", 1)[1] for a in sandbox["command"] if a.startswith("--port="))
    for platform in ("max", "vk", "telegram"):
        assert config["platforms"][platform]["base_url"].startswith(f"http://sandbox:{port}")
    # The registry the sandbox exports is the one the collector reads, through the shared volume.
    exported = Path(
        next(a.split("=", 1)[1] for a in sandbox["command"] if a.startswith("--export-registry="))
    )
    relative = exported.relative_to(_mount_target(sandbox, "sandbox-data"))
    read = Path(_mount_target(compose["services"]["govpulse"], "sandbox-data")) / relative
    assert config["registry"]["files"] == [str(read)]


def test_live_registry_mount_is_a_valid_registry(compose: dict[str, Any]) -> None:
    config = load_yaml(COMPOSE_DIR / "govpulse.yaml")
    mounts = [
        v for v in compose["services"]["govpulse"]["volumes"] if v.endswith(":/etc/govpulse/channels.csv:ro")
    ]
    assert len(mounts) == 1 and config["registry"]["files"] == ["/etc/govpulse/channels.csv"]
    registry = load_files([(COMPOSE_DIR / mounts[0].split(":")[0]).resolve()])
    assert registry.channels and not registry.problems


def test_prometheus_loads_the_rules_it_mounts(compose: dict[str, Any]) -> None:
    mount = next(
        v for v in compose["services"]["prometheus"]["volumes"] if v.endswith(":/etc/prometheus/rules:ro")
    )
    rules_dir = (COMPOSE_DIR / mount.split(":")[0]).resolve()
    config = load_yaml(COMPOSE_DIR / "prometheus.yml")
    files = [rules_dir / Path(f).relative_to("/etc/prometheus/rules") for f in config["rule_files"]]
    assert files and all(f.exists() for f in files)
    scraped = {t for job in config["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]}
    assert "govpulse:9877" in scraped


def test_grafana_datasources_keep_the_provisioned_uids() -> None:
    ours = load_yaml(COMPOSE_DIR / "grafana" / "datasources" / "govpulse.yaml")["datasources"]
    shared = load_yaml(DEPLOY / "grafana" / "provisioning" / "datasources" / "govpulse.yaml")["datasources"]

    def key(ds: dict[str, Any]) -> tuple[str, str, str]:
        return ds["uid"], ds["type"], ds["name"]

    assert sorted(map(key, ours)) == sorted(map(key, shared))
    influx = next(ds for ds in ours if ds["type"] == "influxdb")
    assert influx["jsonData"]["version"] == "InfluxQL" and "password" in influx["secureJsonData"]


def test_grafana_env_covers_its_provisioning_variables(compose: dict[str, Any]) -> None:
    grafana = compose["services"]["grafana"]
    provided = set(grafana["environment"])
    files = [
        COMPOSE_DIR / "grafana" / "datasources" / "govpulse.yaml",
        COMPOSE_DIR / "grafana" / "alerting" / "govpulse-contact-points.yaml",
    ]
    needed = {name for f in files for name in variables(f.read_text(encoding="utf-8"))}
    assert needed and needed <= provided


def test_dockerfile_builds_a_non_root_image() -> None:
    lines = [line.strip() for line in (COMPOSE_DIR / "Dockerfile").read_text(encoding="utf-8").splitlines()]
    instructions = [line for line in lines if line and not line.startswith("#")]
    assert instructions[0] == "FROM python:3.11-slim"
    assert any(line.startswith("RUN pip install .") for line in instructions)
    user = [line for line in instructions if line.startswith("USER ")]
    assert user and user[-1].split()[1].split(":")[0] not in ("0", "root")
    for copied in (line.split()[1] for line in instructions if line.startswith("COPY ")):
        assert (REPO / copied).exists(), copied
