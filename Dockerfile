# ClinicOps production image: what Railway builds (railway.toml) and runs with
# the CMD below; migrations run once per deploy as Railway's pre-deploy step.
# docker/prod/Dockerfile is the same recipe with the entrypoint roles that
# compose.prod.yml uses; tests/deploy keeps the two identical up to the start
# command. Build here: DOCKER_BUILDKIT=0 docker build --network host -t clinicops .

# ---- builder: wheels, a virtualenv installed from them only, static files ----
# A patch-level tag: a rebuild gets the same interpreter until we bump it.
FROM python:3.11.7-slim-bookworm AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
# Requirements alone first, so this layer stays cached until they change.
COPY requirements/ requirements/
# From the hashed lock only (make lock): pip refuses any file whose SHA-256 is
# not in requirements/production.lock, and any package not pinned there.
# Every locked package ships a manylinux wheel (psycopg[binary] bundles
# libpq), so no compiler is needed and none is allowed (--only-binary); if one
# ever needs compiling, install build-essential here, never in the runtime
# stage. Translation sources (.po) are never read at run time (only the
# compiled .mo are): 11 MB less.
# OpenTelemetry (requirements/tracing.lock, ~20 MB) only with --build-arg TRACING=1.
ARG TRACING=0
RUN pip wheel --no-cache-dir --require-hashes --only-binary :all: --wheel-dir /wheels \
        -r requirements/production.lock \
 && python -m venv --without-pip /opt/venv \
 && pip --python /opt/venv/bin/python install --no-cache-dir --no-index --find-links /wheels \
        --require-hashes -r requirements/production.lock \
 && if [ "$TRACING" = 1 ]; then \
        pip wheel --no-cache-dir --require-hashes --only-binary :all: --wheel-dir /wheels \
            -r requirements/tracing.lock \
     && pip --python /opt/venv/bin/python install --no-cache-dir --no-index --find-links /wheels \
            --require-hashes -r requirements/tracing.lock; \
    fi \
 && find /opt/venv -name '*.po' -delete
# The image's CycloneDX SBOM: every package in /opt/venv with its version,
# licence and hashes, written by cyclonedx-py (hashed lock too) from this
# throw-away stage (a virtualenv of its own, so its packages are not listed),
# so the tool never reaches the runtime image. It travels
# with the virtualenv: /opt/venv/sbom.cdx.json.
RUN python -m venv /wheels/sbom-tool \
 && /wheels/sbom-tool/bin/pip install --no-cache-dir --require-hashes --only-binary :all: \
        -r requirements/sbom.lock \
 && /wheels/sbom-tool/bin/cyclonedx-py environment --output-reproducible \
        --output-format JSON --output-file /opt/venv/sbom.cdx.json /opt/venv/bin/python

COPY . .
# Static files are collected at build time so every replica serves the same
# hashed names. The placeholders only get production settings past their
# start-up checks; they live in this one RUN, never in an image's environment.
# WhiteNoise serves STATIC_ROOT alone, so the apps' own static sources then
# leave the virtualenv (13 MB), and so do the vendor bundles' source maps
# (18 MB with their .gz; only browser devtools ask for them).
# Babel's CLDR data is 32 MB for ~1,000 locales; invoices use the few of
# apps/clinics/locales.py (and their parents): the rest goes (about 30 MB).
RUN /opt/venv/bin/python docker/trim_locale_data.py /opt/venv/lib/python3.11/site-packages/babel/locale-data \
 && ENV=production SECRET_KEY=collectstatic-placeholder-not-a-secret-0123456789-abcdefghij \
    ALLOWED_HOSTS=build.invalid DATABASE_URL=postgres://build.invalid/none \
    AUDIT_SIGNING_KEY=Y29sbGVjdHN0YXRpYy1wbGFjZWhvbGRlci1ub3RrZXk= \
    /opt/venv/bin/python manage.py collectstatic --noinput --verbosity 0 \
 && find staticfiles \( -name '*.map' -o -name '*.map.gz' \) -delete \
 && rm -r /opt/venv/lib/python3.11/site-packages/django/contrib/admin/static \
        /opt/venv/lib/python3.11/site-packages/rest_framework/static \
        /opt/venv/lib/python3.11/site-packages/drf_spectacular_sidecar/static

# ---- runtime: no compilers, no pip cache, no wheels, not root ----
FROM python:3.11.7-slim-bookworm AS runtime

# The only system packages the application needs: invoice PDFs draw with DejaVu
# Sans (settings.INVOICE_PDF_FONT, 3 MB) and, for Chinese, Japanese and Korean
# names, WenQuanYi Micro Hei (INVOICE_PDF_FALLBACK_FONT, 5 MB). psycopg[binary]
# bundles libpq; the health probe is Python, so no curl either.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-dejavu-core=2.37-6 fonts-wqy-microhei=0.2.0-beta-3.1 \
 && rm -rf /var/lib/apt/lists/*

# A fixed uid/gid: volume ownership and platforms' runAsNonRoot checks can rely on it.
RUN groupadd --system --gid 10001 clinicops \
 && useradd --system --no-log-init --uid 10001 --gid clinicops --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin clinicops

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ENV=production \
    DJANGO_SETTINGS_MODULE=config.settings \
    PORT=8000

WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
# Code stays owned by root: the app user can read it but not rewrite it.
COPY . .
COPY --from=builder /app/staticfiles staticfiles
# The only directory the app writes to (compose mounts a volume here).
RUN install -d -o clinicops -g clinicops /app/media

USER 10001:10001
EXPOSE 8000
# Python instead of curl: nothing extra to install, and it follows $PORT.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/app/docker/healthcheck.py"]

# Binds 0.0.0.0:$PORT; workers, threads, timeouts and the JSON access log are
# set in config/gunicorn.conf.py.
CMD ["gunicorn", "--config", "config/gunicorn.conf.py", "config.wsgi:application"]
