#!/usr/bin/env bash
# Poll BASE_URL/health/ until it answers 200, for at most WAIT_SECONDS (300).
# After `railway up --ci` the build is done but the rollout may still be
# running; Railway only moves traffic once its own /health/ probe passes.
set -euo pipefail
base_url=${1:?usage: deploy/wait-healthy.sh BASE_URL}
deadline=$((SECONDS + ${WAIT_SECONDS:-300}))
until curl --fail --silent --show-error --max-time 10 "${base_url%/}/health/"; do
    if ((SECONDS >= deadline)); then
        echo "health: ${base_url%/}/health/ not healthy after ${WAIT_SECONDS:-300}s" >&2
        exit 1
    fi
    sleep 10
done
echo
echo "health: ${base_url%/}/health/ answers 200"
