"""Kubernetes manifests (deploy/kubernetes): the schemas of the API, shard count, selectors, tokens per shard.

Schemas come from the `kubernetes-validate` package (strict: unknown fields are errors). The kustomization is
rendered by `kubectl kustomize` where kubectl exists; the checks on the plain files do not need it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from collector.config import load_config
from collector.registry import load_files
from tests.deploy.support import KUBERNETES_DIR, load_all_yaml, load_yaml

KUBERNETES_VERSION = "1.30"  # the oldest release still supported upstream when this was written
KUSTOMIZATION = load_yaml(KUBERNETES_DIR / "kustomization.yaml")
MANIFEST_FILES = [*KUSTOMIZATION["resources"], "secret.example.yaml"]


def _documents(names: list[str]) -> list[dict[str, Any]]:
    return [doc for name in names for doc in load_all_yaml(KUBERNETES_DIR / name)]


def _generated_config_maps() -> list[dict[str, Any]]:
    """The ConfigMaps kustomize's configMapGenerator makes (without the name hash)."""
    maps = []
    for generator in KUSTOMIZATION["configMapGenerator"]:
        data = {Path(f).name: (KUBERNETES_DIR / f).read_text(encoding="utf-8") for f in generator["files"]}
        maps.append(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": generator["name"]}, "data": data}
        )
    return maps


def _one(kind: str, name: str, docs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    found = [
        d for d in docs or _documents(MANIFEST_FILES) if d["kind"] == kind and d["metadata"]["name"] == name
    ]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def _validate(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("name", MANIFEST_FILES)
def test_manifest_matches_the_kubernetes_schema(name: str) -> None:
    docs = load_all_yaml(KUBERNETES_DIR / name)
    assert docs
    for doc in docs:
        _validate(doc)


def test_generated_config_map_matches_the_schema() -> None:
    for config_map in _generated_config_maps():
        _validate(config_map)
        assert sum(len(v.encode()) for v in config_map["data"].values()) < 1024 * 1024  # ConfigMap limit


def test_schema_validation_is_strict() -> None:
    statefulset = _one("StatefulSet", "govpulse")
    broken = {**statefulset, "spec": {**statefulset["spec"], "replicas": "2"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(broken)
    container = {**statefulset["spec"]["template"]["spec"]["containers"][0], "envFrm": []}
    template = {
        **statefulset["spec"]["template"],
        "spec": {**statefulset["spec"]["template"]["spec"], "containers": [container]},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate({**statefulset, "spec": {**statefulset["spec"], "template": template}})


def _shards_argument(statefulset: dict[str, Any]) -> int:
    container = statefulset["spec"]["template"]["spec"]["containers"][0]
    values = [a.split("=", 1)[1] for a in container["args"] if a.startswith("--shards=")]
    assert len(values) == 1
    assert "--shard=auto" in container["args"]
    return int(values[0])


def test_replicas_equal_shards_in_the_plain_manifest() -> None:
    statefulset = _one("StatefulSet", "govpulse")
    assert statefulset["spec"]["replicas"] == _shards_argument(statefulset)
    replicas = {r["name"]: r["count"] for r in KUSTOMIZATION["replicas"]}
    assert replicas["govpulse"] == statefulset["spec"]["replicas"]


def test_kustomization_copies_replicas_into_the_shards_argument() -> None:
    statefulset = _one("StatefulSet", "govpulse")
    args = statefulset["spec"]["template"]["spec"]["containers"][0]["args"]
    (replacement,) = KUSTOMIZATION["replacements"]
    assert replacement["source"] == {"kind": "StatefulSet", "name": "govpulse", "fieldPath": "spec.replicas"}
    (target,) = replacement["targets"]
    (path,) = target["fieldPaths"]
    index = int(path.rsplit(".", 1)[1])
    assert args[index].startswith("--shards=")
    assert target["options"] == {"delimiter": "=", "index": 1}


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def test_selectors_match_their_pods() -> None:
    docs = _documents(MANIFEST_FILES)
    statefulset, notify = _one("StatefulSet", "govpulse", docs), _one("Deployment", "govpulse-notify", docs)
    collector_labels = statefulset["spec"]["template"]["metadata"]["labels"]
    notify_labels = notify["spec"]["template"]["metadata"]["labels"]
    assert _matches(statefulset["spec"]["selector"]["matchLabels"], collector_labels)
    assert _matches(notify["spec"]["selector"]["matchLabels"], notify_labels)
    service = _one("Service", "govpulse", docs)
    assert statefulset["spec"]["serviceName"] == "govpulse" and service["spec"]["clusterIP"] == "None"
    assert _matches(service["spec"]["selector"], collector_labels)
    assert not _matches(service["spec"]["selector"], notify_labels)
    assert _matches(_one("Service", "govpulse-notify", docs)["spec"]["selector"], notify_labels)
    assert not _matches(_one("Service", "govpulse-notify", docs)["spec"]["selector"], collector_labels)
    assert _matches(
        _one("PodDisruptionBudget", "govpulse", docs)["spec"]["selector"]["matchLabels"], collector_labels
    )


def test_named_ports_exist() -> None:
    docs = _documents(MANIFEST_FILES)
    for service_name, owner in (
        ("govpulse", ("StatefulSet", "govpulse")),
        ("govpulse-notify", ("Deployment", "govpulse-notify")),
    ):
        pod = _one(*owner, docs)["spec"]["template"]["spec"]
        names = {p["name"] for c in pod["containers"] for p in c.get("ports", [])}
        for port in _one("Service", service_name, docs)["spec"]["ports"]:
            assert port["targetPort"] in names


def test_scrape_annotations_and_service_monitor_point_at_the_metrics_port() -> None:
    statefulset = _one("StatefulSet", "govpulse")
    annotations = statefulset["spec"]["template"]["metadata"]["annotations"]
    container = statefulset["spec"]["template"]["spec"]["containers"][0]
    (metrics,) = [p for p in container["ports"] if p["name"] == "metrics"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert int(annotations["prometheus.io/port"]) == metrics["containerPort"]
    (monitor,) = load_all_yaml(KUBERNETES_DIR / "optional" / "servicemonitor.yaml")
    service = _one("Service", "govpulse")
    assert _matches(monitor["spec"]["selector"]["matchLabels"], service["metadata"]["labels"])
    assert (
        service["metadata"]["labels"][monitor["spec"]["jobLabel"]] == "govpulse"
    )  # rules expect job="govpulse"
    assert {e["port"] for e in monitor["spec"]["endpoints"]} <= {p["name"] for p in service["spec"]["ports"]}


def test_pods_are_hardened() -> None:
    for kind, name in (("StatefulSet", "govpulse"), ("Deployment", "govpulse-notify")):
        pod = _one(kind, name)["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["automountServiceAccountToken"] is False
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True and context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            assert {"requests", "limits"} <= set(container["resources"])
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert {"/var/lib/govpulse", "/tmp"} <= mounts  # writable places on a read-only root
    claims = _one("StatefulSet", "govpulse")["spec"]["volumeClaimTemplates"]
    assert [c["metadata"]["name"] for c in claims] == ["data"]


def test_config_map_config_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVPULSE_PLATFORMS__MAX__TOKENS", "shard-token")
    settings = load_config(KUBERNETES_DIR / "config" / "govpulse.yaml")
    mounted = Path("/etc/govpulse/config")
    for path in settings.registry.files:
        registry = load_files([KUBERNETES_DIR / "config" / path.relative_to(mounted)])
        assert registry.channels and not registry.problems
    assert settings.store.path.is_relative_to("/var/lib/govpulse")
    assert settings.spool.directory.is_relative_to("/var/lib/govpulse")


def _run_shard_env(tmp_path: Path, hostname: str) -> subprocess.CompletedProcess[str]:
    tokens = tmp_path / "tokens"
    tokens.mkdir(exist_ok=True)
    (tokens / "max-0").write_text("token-a,token-b")
    (tokens / "max-1").write_text("token-c")
    (tokens / "vk-1").write_text("vk-token")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOSTNAME": hostname,
        "GOVPULSE_TOKENS_DIR": str(tokens),
        "GOVPULSE_BIN": "env",
    }
    script = KUBERNETES_DIR / "config" / "shard-env.sh"
    return subprocess.run(
        ["/bin/sh", str(script)], env=env, capture_output=True, text=True, timeout=10, check=False
    )


def test_shard_env_exports_this_shards_tokens(tmp_path: Path) -> None:
    result = _run_shard_env(tmp_path, "govpulse-1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    exported = dict(line.split("=", 1) for line in lines if line.startswith("GOVPULSE_PLATFORMS__"))
    assert exported == {
        "GOVPULSE_PLATFORMS__MAX__TOKENS": "token-c",
        "GOVPULSE_PLATFORMS__VK__TOKENS": "vk-token",
    }
    shard0 = _run_shard_env(tmp_path, "govpulse-0")
    assert "GOVPULSE_PLATFORMS__MAX__TOKENS=token-a,token-b" in shard0.stdout.splitlines()


def test_shard_env_refuses_a_host_name_without_ordinal(tmp_path: Path) -> None:
    result = _run_shard_env(tmp_path, "govpulse")
    assert result.returncode == 2 and "ordinal" in result.stderr


def test_relay_uses_a_token_key_shard_zero_has() -> None:
    notify = _one("Deployment", "govpulse-notify")
    keys = {
        e["valueFrom"]["secretKeyRef"]["key"]
        for c in notify["spec"]["template"]["spec"]["containers"]
        for e in c["env"]
        if "secretKeyRef" in e.get("valueFrom", {})
    }
    example = {k for doc in load_all_yaml(KUBERNETES_DIR / "secret.example.yaml") for k in doc["stringData"]}
    assert keys - {"telegram-0"} <= example  # telegram-0 is optional


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (with kustomize) is not installed")
@pytest.mark.parametrize("count", [2, 5])
def test_kustomize_render_validates_and_keeps_shards_in_step(tmp_path: Path, count: int) -> None:
    copy = tmp_path / "kubernetes"
    shutil.copytree(KUBERNETES_DIR, copy)
    text = (copy / "kustomization.yaml").read_text(encoding="utf-8")
    (copy / "kustomization.yaml").write_text(text.replace("count: 2", f"count: {count}"), encoding="utf-8")
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(copy)], capture_output=True, text=True, timeout=60, check=True
    )
    docs = [d for d in yaml.safe_load_all(rendered.stdout) if d]
    for doc in docs:
        _validate(doc)
        assert doc["kind"] == "Namespace" or doc["metadata"]["namespace"] == "govpulse"
    statefulset = _one("StatefulSet", "govpulse", docs)
    assert statefulset["spec"]["replicas"] == count == _shards_argument(statefulset)
