#!/usr/bin/env bash
# `docker-compose config -q` on both compose files, as compose itself would
# resolve them: anchors and merge keys, env_file paths, build contexts. Runs
# in a scratch copy where the .env.*.example templates stand in for the real,
# git-ignored .env files that compose insists on finding.
# Uses Debian's docker-compose (v1) when installed (.ci/run installs it); says
# so and exits 0 when it is not, since check-jsonschema already validated the schema.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v docker-compose >/dev/null 2>&1; then
    echo "compose-config: docker-compose not installed; skipped (apt-get install docker-compose)"
    exit 0
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp compose.dev.yml compose.prod.yml "$scratch/"
cp .env.dev.example "$scratch/.env.dev"
cp .env.prod.example "$scratch/.env.prod"
mkdir -p "$scratch/docker/dev" "$scratch/docker/prod"
cp docker/dev/Dockerfile "$scratch/docker/dev/"
cp docker/prod/Dockerfile "$scratch/docker/prod/"

for file in compose.dev.yml compose.prod.yml; do
    docker-compose --project-directory "$scratch" -f "$scratch/$file" config -q
    echo "compose-config: $file ok"
done
