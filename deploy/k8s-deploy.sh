#!/usr/bin/env bash
# Release ClinicOps to a Kubernetes cluster (the current kubectl context):
#   deploy/k8s-deploy.sh staging|production IMAGE
# IMAGE is what the release built, by digest (ghcr.io/clinicops/clinicops@sha256:...).
# 1. the migrate Job (deploy/k8s/overlays/ENV/migrate): the previous Job is
#    deleted (a Job's pod template cannot change), the new one applied and
#    waited on; if it fails, its log is printed and nothing else changes;
# 2. only then the application (deploy/k8s/overlays/ENV), and the web, worker
#    and Beat rollouts are waited on.
# Old pods keep serving on the migrated schema until the rollout replaces them:
# migrations must be backward compatible (docs/decisions.md, zero-downtime rules).
# Needs kubectl with kustomize v5 (kubectl 1.27 or newer).
set -euo pipefail
cd "$(dirname "$0")/k8s"

environment=${1:?usage: deploy/k8s-deploy.sh staging|production IMAGE}
image=${2:?usage: deploy/k8s-deploy.sh staging|production IMAGE}
case "$environment" in staging|production) ;; *) echo "unknown environment $environment" >&2; exit 2 ;; esac
namespace="clinicops-$environment"
placeholder="ghcr.io/clinicops/clinicops:release"

render() { kubectl kustomize "$1" | sed "s#image: $placeholder#image: $image#"; }

echo "== migrate Job in $namespace with $image"
kubectl -n "$namespace" delete job clinicops-migrate --ignore-not-found --wait=true
render "overlays/$environment/migrate" | kubectl apply -f -
if ! kubectl -n "$namespace" wait --for=condition=complete job/clinicops-migrate --timeout=900s; then
    echo "migrate Job did not complete: the release stops here" >&2
    kubectl -n "$namespace" logs job/clinicops-migrate --tail=100 >&2 || true
    exit 1
fi

echo "== application in $namespace"
render "overlays/$environment" | kubectl apply -f -
for deployment in clinicops-web clinicops-worker clinicops-beat; do
    kubectl -n "$namespace" rollout status "deployment/$deployment" --timeout=600s
done
