#!/bin/sh
# Back up the database of DATABASE_URL: a pg_dump custom-format archive and a
# manifest (sha256, size, time, server and pg_dump versions, the Django
# migrations applied), both readable by their owner only. POSIX sh with
# pg_dump, psql and sha256sum, so the same script runs from `make backup`, the
# restore drill and compose.prod.yml's backup service (postgres:15-alpine).
#
#   deploy/backup.sh [--out DIR] [--keep-days N] [--every SECONDS]
#
#   --out DIR          where archives go (BACKUP_DIR, default ./backups)
#   --keep-days N      afterwards delete archives older than N days (BACKUP_KEEP_DAYS)
#   --every SECONDS    run forever, one backup every SECONDS (BACKUP_INTERVAL_SECONDS)
#
# Prints the archive's path as the last line. Never prints DATABASE_URL (it holds a password).
set -eu

out=${BACKUP_DIR:-backups}
keep_days=${BACKUP_KEEP_DAYS:-}
every=${BACKUP_INTERVAL_SECONDS:-}
while [ $# -gt 0 ]; do
    case "$1" in
        --out) out=$2; shift 2 ;;
        --keep-days) keep_days=$2; shift 2 ;;
        --every) every=$2; shift 2 ;;
        *) echo "backup: unknown option $1" >&2; exit 2 ;;
    esac
done
: "${DATABASE_URL:?backup: DATABASE_URL must name the database to back up}"

query() {
    psql "$DATABASE_URL" --no-psqlrc --tuples-only --no-align --quiet -v ON_ERROR_STOP=1 -c "$1"
}

backup_once() {
    umask 077  # patient data: owner only, from the first byte
    mkdir -p "$out"
    stamp=$(date -u +%Y%m%dT%H%M%SZ)
    name="clinicops-$stamp"
    started=$(date -u +%s)
    created_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    # Written under a temporary name: a crash never leaves a plausible-looking archive.
    pg_dump --format=custom --no-owner --no-privileges --file="$out/$name.dump.part" "$DATABASE_URL"
    mv "$out/$name.dump.part" "$out/$name.dump"
    sha=$(sha256sum "$out/$name.dump" | cut -d' ' -f1)
    size=$(wc -c <"$out/$name.dump" | tr -d ' ')
    database=$(query "SELECT current_database()")
    server=$(query "SHOW server_version")
    # Latest migration per app, and how many are applied: what code this schema belongs to.
    migrations=null  # a database Django never migrated
    if [ "$(query "SELECT to_regclass('public.django_migrations') IS NOT NULL")" = t ]; then
        migrations=$(query "SELECT json_build_object('applied', count(*), 'latest', (SELECT coalesce(json_object_agg(app, latest ORDER BY app), '{}') FROM (SELECT app, max(name) AS latest FROM django_migrations GROUP BY app) s)) FROM django_migrations")
    fi
    finished=$(date -u +%s)
    cat >"$out/$name.json.part" <<EOF
{
  "file": "$name.dump",
  "format": "pg_dump custom",
  "sha256": "$sha",
  "size_bytes": $size,
  "created_at": "$created_at",
  "duration_seconds": $((finished - started)),
  "database": "$database",
  "server_version": "$server",
  "pg_dump_version": "$(pg_dump --version)",
  "django_migrations": $migrations
}
EOF
    mv "$out/$name.json.part" "$out/$name.json"
    echo "backup: $name.dump, $size bytes, sha256 $sha, $((finished - started)) s" >&2
    if [ -n "$keep_days" ]; then
        # -mtime +N: older than N whole days. Leftover .part files of crashed runs go too.
        find "$out" -maxdepth 1 -type f -name 'clinicops-*' -mtime "+$keep_days" -print -exec rm -f {} + >&2
    fi
    echo "$out/$name.dump"
}

if [ -z "$every" ]; then
    backup_once
    exit 0
fi
while true; do
    # One failed run (the database restarting) must not end the service: say so and try again later.
    backup_once || echo "backup: FAILED, next attempt in $every s" >&2
    sleep "$every"
done
