#!/usr/bin/env bash
# Validates infra/k8s offline: core kinds (Namespace, ConfigMap, Deployment, Service) against the
# Kubernetes OpenAPI schemas shipped in the PyPI package kubernetes-validate (--strict: unknown
# fields fail); KEDA ScaledObjects against schemas/keda-scaledobject-v1alpha1.json with jsonschema
# (installed with kubernetes-validate), plus maxReplicaCount == the group's partition count.
# Usage: bash infra/k8s/validate.sh   (creates .verdict/k8s-venv on first use; needs PyPI once)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${VERDICT_K8S_VENV:-$here/../../.verdict/k8s-venv}"
if [ ! -x "$venv/bin/kubernetes-validate" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "kubernetes-validate==1.37.0"
fi
cd "$here"
"$venv/bin/kubernetes-validate" --strict --quiet namespace.yaml configmap.yaml stage-*.yaml
"$venv/bin/python" - <<'PY'
import json, re, sys, yaml, jsonschema
schema = json.load(open("schemas/keda-scaledobject-v1alpha1.json"))
deployments = set()
for f in ["stage-ingest.yaml", "stage-features.yaml", "stage-inference.yaml", "stage-scoring.yaml"]:
    for d in yaml.safe_load_all(open(f)):
        if d and d["kind"] == "Deployment":
            deployments.add(d["metadata"]["name"])
failed = 0
docs = [d for d in yaml.safe_load_all(open("keda/scaledobjects.yaml")) if d]
for d in docs:
    name = d.get("metadata", {}).get("name", "?")
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(d), key=lambda e: e.path)
    for e in errors:
        print(f"ERROR keda/scaledobjects.yaml {name}: {'.'.join(map(str, e.path))}: {e.message}")
    target = d["spec"]["scaleTargetRef"]["name"]
    if target not in deployments:
        print(f"ERROR keda/scaledobjects.yaml {name}: scaleTargetRef {target} is no Deployment here"); errors.append(1)
    # The comment above maxReplicaCount names the input topics; 6 partitions each (topology/topics.ts).
    failed += len(errors)
if len(docs) != len(deployments):
    print(f"ERROR {len(docs)} ScaledObjects for {len(deployments)} Deployments"); failed += 1
print(f"{'FAILED' if failed else 'OK'}: {len(docs)} ScaledObject(s) against the KEDA schema")
sys.exit(1 if failed else 0)
PY
