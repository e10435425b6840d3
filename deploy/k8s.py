"""The Kubernetes manifests (deploy/k8s): render the overlays, validate them offline.

    python -m deploy.k8s render deploy/k8s/overlays/staging    multi-document YAML on stdout
    python -m deploy.k8s lint                                   (make lint-kube, part of lint-deploy)

No kustomize binary comes from Debian or PyPI (Debian's kubectl is 1.20), so
``render`` is a small renderer of the kustomize subset these files use:
``resources`` (files and directories), ``namespace``, ``images``, ``replicas``
and inline JSON 6902 ``patches`` with a kind/name ``target``. Anything else in
a kustomization.yaml is refused, not ignored. Where a ``kubectl`` with
kustomize v5 is installed, tests/deploy/test_k8s.py checks that it renders the
same resources. ``lint`` renders every overlay (the app and its migrate Job),
then runs kubernetes-validate (the Kubernetes JSON schemas, shipped in its
wheel) on the output, checkov's Kubernetes policies on the output (skips are
``checkov.io/skipN`` annotations with their reason, in the base files), and
yamllint on the sources.
"""

import copy
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
K8S = REPO / "deploy" / "k8s"
OVERLAYS = sorted(p.parent for p in (K8S / "overlays").glob("**/kustomization.yaml"))
KUBERNETES_VERSION = "1.33.0"  # a current cluster version among the schemas kubernetes-validate ships
SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "images", "replicas", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass"}

Resource = dict[str, Any]


def render(directory: Path) -> list[Resource]:
    """The resources a kustomization directory builds to, transformers applied."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - SUPPORTED
    if unknown:
        raise ValueError(f"{directory}: kustomize fields this renderer does not implement: {sorted(unknown)}")
    resources: list[Resource] = []
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        if path.is_dir():
            resources.extend(render(path))
        else:
            resources.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    resources = copy.deepcopy(resources)
    for patch in kustomization.get("patches", []):
        target = patch["target"]
        matched = [r for r in resources if r["kind"] == target["kind"] and r["metadata"]["name"] == target["name"]]
        if not matched:
            raise ValueError(f"{directory}: patch target {target} matches nothing")
        for resource in matched:
            for operation in yaml.safe_load(patch["patch"]):
                json_patch(resource, operation)
    for change in kustomization.get("replicas", []):
        matched = [r for r in resources if r["kind"] == "Deployment" and r["metadata"]["name"] == change["name"]]
        if not matched:
            raise ValueError(f"{directory}: replicas for unknown {change['name']}")
        for resource in matched:
            resource["spec"]["replicas"] = change["count"]
    for image in kustomization.get("images", []):
        for resource in resources:
            for container in containers(resource):
                name, _, _tag = container["image"].partition(":")
                if name == image["name"]:
                    container["image"] = f"{image.get('newName', name)}:{image['newTag']}"
    if "namespace" in kustomization:
        for resource in resources:
            if resource["kind"] not in CLUSTER_SCOPED:
                resource["metadata"]["namespace"] = kustomization["namespace"]
    return resources


def containers(resource: Resource) -> list[dict[str, Any]]:
    spec = resource.get("spec", {})
    pod = spec.get("template", {}).get("spec", {}) if resource["kind"] in {"Deployment", "Job"} else {}
    return [*pod.get("initContainers", []), *pod.get("containers", [])]


def json_patch(document: Resource, operation: dict[str, Any]) -> None:
    """RFC 6902 add, replace and remove (all these overlays use)."""
    *parents, last = [part.replace("~1", "/").replace("~0", "~") for part in operation["path"].split("/")[1:]]
    node: Any = document
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) and last != "-" else last
    op = operation["op"]
    if op == "remove":
        del node[key]
    elif op == "replace":
        if (key >= len(node)) if isinstance(node, list) else (key not in node):
            raise KeyError(f"replace: {operation['path']} does not exist")
        node[key] = operation["value"]
    elif op == "add":
        if isinstance(node, list):
            node.insert(len(node) if key == "-" else key, operation["value"])
        else:
            node[key] = operation["value"]
    else:
        raise ValueError(f"JSON patch op {op!r} not implemented")


def dump(resources: list[Resource]) -> str:
    return yaml.safe_dump_all(resources, sort_keys=True)


def lint() -> int:
    bin_dir = Path(sys.executable).parent
    # checkov's own virtualenv inside this one (Makefile: $(VENV)/checkov).
    checkov = Path(sys.prefix) / "checkov" / "bin" / "checkov"
    failures = 0
    with tempfile.TemporaryDirectory(prefix="clinicops-k8s-") as scratch:
        rendered = []
        for overlay in OVERLAYS:
            name = "-".join(overlay.relative_to(K8S / "overlays").parts)
            output = Path(scratch) / f"{name}.yaml"
            output.write_text(dump(render(overlay)))
            rendered.append(output)
            print(f"rendered {overlay.relative_to(REPO)} -> {len(render(overlay))} resources", flush=True)
        steps = [
            [str(bin_dir / "yamllint"), "--strict", "-c", str(K8S / ".yamllint.yaml"), str(K8S)],
            [
                str(bin_dir / "kubernetes-validate"),
                "--strict",
                "--kubernetes-version",
                KUBERNETES_VERSION,
                *map(str, rendered),
            ],
            [
                str(checkov),
                "--quiet",
                "--compact",
                "--framework",
                "kubernetes",
                "--skip-download",
                *[arg for path in rendered for arg in ("-f", str(path))],
            ],
        ]
        for argv in steps:
            print(f"$ {Path(argv[0]).name} {' '.join(a for a in argv[1:] if not a.startswith(scratch))}", flush=True)
            result = subprocess.run(argv, check=False)
            failures += result.returncode != 0
    return 1 if failures else 0


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[1] == "render":
        sys.stdout.write(dump(render(Path(argv[2]))))
        return 0
    if len(argv) == 2 and argv[1] == "lint":
        return lint()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
