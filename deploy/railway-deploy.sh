#!/usr/bin/env bash
# Deploy the checked-out tree to one Railway environment (used by the CI/CD
# workflow; works by hand too). Web first: its pre-deploy step (railway.toml)
# migrates, so worker and Beat only start once the schema is in place.
#   RAILWAY_TOKEN=<project token of that environment> deploy/railway-deploy.sh staging
# Service names default to web, worker and beat; override with RAILWAY_*_SERVICE.
set -euo pipefail
environment=${1:?usage: deploy/railway-deploy.sh ENVIRONMENT}
: "${RAILWAY_TOKEN:?RAILWAY_TOKEN must hold a Railway project token for $environment}"
cd "$(dirname "$0")/.."

for service in "${RAILWAY_WEB_SERVICE:-web}" "${RAILWAY_WORKER_SERVICE:-worker}" "${RAILWAY_BEAT_SERVICE:-beat}"; do
    echo "== railway up: $service -> $environment"
    # --ci streams the build log and exits non-zero when the build fails.
    railway up --ci --service "$service" --environment "$environment"
done
