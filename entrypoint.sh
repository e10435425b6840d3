#!/bin/sh
# Container entrypoint (docker/prod and docker/dev images; Railway's worker,
# Beat and pre-deploy commands). Waits for PostgreSQL and Redis, bounded by
# WAIT_FOR_SERVICES_TIMEOUT seconds (default 60), then runs one role:
#   web      migrations + periodic tasks, then Gunicorn     (compose.prod.yml)
#   release  migrations + periodic tasks, then exit         (Railway pre-deploy)
#   worker   Celery worker; extra arguments go to Celery, e.g. `worker -Q exports`
#   beat     Celery Beat with the DatabaseScheduler (settings); run exactly one
#   dev      migrations + periodic tasks, then runserver with auto-reload
#   *        any other command as given, e.g. `python manage.py shell`
# Every long-running role is exec'd, so it is PID 1 and receives SIGTERM itself.
set -eu
cd "$(dirname "$0")"

wait_for_services() {
    python docker/wait_for_services.py --timeout "${WAIT_FOR_SERVICES_TIMEOUT:-60}"
}

# migrate_safely: migrate with a lock_timeout (MIGRATE_LOCK_TIMEOUT, default 5s),
# so a migration that would queue traffic behind a lock fails fast instead. On
# failure it prints "release: migrate FAILED (...)" and exits 1, and `set -e`
# ends the release there: nothing new starts serving.
release() {
    python manage.py migrate_safely --noinput
    python manage.py setup_periodic_tasks
}

role=${1:-web}
[ $# -gt 0 ] && shift

case "$role" in
    web)
        wait_for_services
        release
        exec gunicorn --config config/gunicorn.conf.py config.wsgi:application "$@"
        ;;
    release)
        wait_for_services
        release
        ;;
    worker)
        wait_for_services
        exec celery -A config worker --loglevel "${CELERY_LOG_LEVEL:-INFO}" "$@"
        ;;
    beat)
        wait_for_services
        exec celery -A config beat --loglevel "${CELERY_LOG_LEVEL:-INFO}" "$@"
        ;;
    dev)
        wait_for_services
        release
        exec python manage.py runserver "0.0.0.0:${PORT:-8000}" "$@"
        ;;
    *)
        exec "$role" "$@"
        ;;
esac
