"""The deployment files (deploy/Containerfile, deploy/k8s/): every Kubernetes manifest validates
against the official Kubernetes JSON schemas in strict mode (kubernetes-validate from PyPI,
which bundles them: the schema repositories on GitHub are not reachable from CI), the pieces
refer to each other correctly, and the ConfigMap's switchyard.yaml is a config the real binary
accepts."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import BINARY, ROOT

K8S = ROOT / "deploy" / "k8s"
K8S_VERSION = "1.30.0"


def documents() -> list[dict]:
    docs = []
    for f in sorted(K8S.glob("*.yaml")):
        if f.name == "kustomization.yaml":
            continue
        docs += [d for d in yaml.safe_load_all(f.read_text()) if d]
    return docs


def by_kind(kind: str) -> list[dict]:
    return [d for d in documents() if d["kind"] == kind]


def test_manifests_validate_against_the_kubernetes_schemas():
    kv = pytest.importorskip("kubernetes_validate")
    docs = documents()
    assert {d["kind"] for d in docs} >= {"Deployment", "Service", "ConfigMap", "Secret", "StatefulSet", "PodDisruptionBudget"}
    for d in docs:
        kv.validate(d, K8S_VERSION, strict=True)  # raises ValidationError with the path on a mistake
    broken = yaml.safe_load((K8S / "deployment.yaml").read_text().split("---")[0])
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["paht"] = "/health"
    with pytest.raises(kv.ValidationError):
        kv.validate(broken, K8S_VERSION, strict=True)  # the checker does catch a misspelt field


def test_kustomization_lists_every_manifest():
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    assert listed == {f.name for f in K8S.glob("*.yaml")} - {"kustomization.yaml"}


def test_pieces_fit_together():
    (dep,) = by_kind("Deployment")
    (secret,) = by_kind("Secret")
    (cm,) = by_kind("ConfigMap")
    pod = dep["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    assert dep["spec"]["replicas"] >= 2
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert c[probe]["httpGet"]["path"] == "/health"
    # Every secret the pod reads exists; every variable the config names is set from a Secret.
    keys = {e["valueFrom"]["secretKeyRef"]["key"] for e in c["env"] if "valueFrom" in e}
    assert keys <= set(secret["stringData"])
    config = yaml.safe_load(cm["data"]["switchyard.yaml"])
    env_names = {e["name"] for e in c["env"]}
    wanted = {config["store"]["url_env"]} | {k["key_env"] for k in config["server"]["api_keys"]}
    assert wanted <= env_names
    assert "url" not in config["store"], "the database password stays in the Secret"
    # The drain fits in the grace period: preStop pause + server.shutdown_grace < SIGKILL.
    grace = int(re.match(r"(\d+)s", config["server"]["shutdown_grace"]).group(1))
    pause = int(c["lifecycle"]["preStop"]["exec"]["command"][-1])
    assert pause + grace < pod["terminationGracePeriodSeconds"]
    mounted = {v["name"]: v for v in pod["volumes"]}
    assert mounted["config"]["configMap"]["name"] == cm["metadata"]["name"]
    services = {s["metadata"]["name"] for s in by_kind("Service")}
    assert re.search(r"@([\w-]+):5432/", secret["stringData"]["database-url"]).group(1) in services


def test_configmap_config_is_accepted_by_switchyard(tmp_path):
    (cm,) = by_kind("ConfigMap")
    cfg = tmp_path / "switchyard.yaml"
    cfg.write_text(cm["data"]["switchyard.yaml"])
    env = dict(os.environ, SWITCHYARD_DATABASE_URL="postgresql://u:p@db/x", SWITCHYARD_KEY_TEAM_A="a", SWITCHYARD_KEY_TEAM_B="b")
    r = subprocess.run([str(BINARY), "--config", str(cfg), "models"], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "gemma-3-270m" in r.stdout


def test_containerfile_builds_what_the_deployment_runs():
    text = (ROOT / "deploy" / "Containerfile").read_text()
    (dep,) = by_kind("Deployment")
    c = dep["spec"]["template"]["spec"]["containers"][0]
    assert "libpq5" in text and "libpq-dev" in text
    assert re.search(r"^USER 10001$", text, re.M) and dep["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == 10001
    assert "EXPOSE 8080" in text and c["ports"][0]["containerPort"] == 8080
