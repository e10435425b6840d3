"""Memory of one web worker: the production WSGI app in a fresh process, a few requests, its RSS.

Usage (PostgreSQL and Redis from DATABASE_URL / REDIS_URL; writes one clinic, user and
patients into that database, keyed by a fixed e-mail so reruns reuse them):

    .venv/bin/python bench/worker_rss.py [--requests 20] [--top 25]

1. ``setup``: under test settings, a clinic, an owner and a few patients (factories).
2. ``serve``: a fresh interpreter with ENV=production (real-looking secrets, no SENTRY_DSN,
   no OTEL_EXPORTER_OTLP_ENDPOINT) imports ``config.wsgi`` and calls the WSGI application
   directly: /health/, auth/me/, the patient list, a typo search, a phone search and an
   authenticated patient read, ``--requests`` times each. Prints the RSS after the import and
   after the requests, ru_maxrss and PSS (/proc/self/smaps_rollup).
3. ``python -X importtime`` of the same import: the top-level packages by cumulative import
   time, and which modules the process holds in the end (the heavy optional ones named).
"""

import argparse
import base64
import io
import json
import os
import resource
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EMAIL = "worker-rss@example.test"
# Modules a web worker should not need to serve ordinary requests.
WATCH = [
    "requests",
    "urllib3",
    "cryptography.hazmat.primitives.asymmetric.rsa",
    "cryptography.hazmat.primitives.asymmetric.ed25519",
    "jwt.algorithms",
    "redis.asyncio",
    "opentelemetry",
    "opentelemetry.sdk.metrics",
    "sentry_sdk",
    "fpdf",
    "babel",
    "icalendar",
    "openpyxl",
    "celery",
    "kombu",
    "phonenumbers",
    "drf_spectacular",
    "yaml",
]


def production_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SENTRY_", "OTEL_"))}
    env.update(
        {
            "ENV": "production",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": "bench-worker-rss-" + "k3Y9xQ2v" * 6,
            "ALLOWED_HOSTS": "testserver",
            "AUDIT_SIGNING_KEY": base64.b64encode(b"\x07" * 32).decode(),
            "SECURE_SSL_REDIRECT": "False",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def rss_kb() -> dict[str, int]:
    status = Path("/proc/self/status").read_text()
    values = {line.split(":")[0]: int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")}
    rollup = Path("/proc/self/smaps_rollup").read_text().splitlines()
    pss = next(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
    return {"rss": values["VmRSS"], "pss": pss, "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


def setup() -> None:
    import django

    django.setup()
    from apps.accounts.models import User
    from apps.accounts.tests.factories import UserFactory
    from apps.clinics.tests.factories import ClinicFactory, MembershipFactory
    from apps.patients.tests.factories import PatientFactory

    if not User.objects.filter(email=EMAIL).exists():
        user = UserFactory(email=EMAIL)
        clinic = ClinicFactory(country="DE")
        MembershipFactory(user=user, clinic=clinic, role="owner")
        for given, family in [("Anna", "Becker"), ("John", "Smith"), ("Jose", "Garcia"), ("Maria", "Meyer")]:
            PatientFactory(clinic=clinic, given_name=given, family_name=family)


def call(application, path: str, query: str = "", token: str = "") -> tuple[str, bytes]:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "443",
        "HTTP_HOST": "testserver",
        "HTTP_X_FORWARDED_PROTO": "https",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if token:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    status: list[str] = []
    body = b"".join(application(environ, lambda s, headers, exc_info=None: status.append(s)))
    return status[0], body


def serve(requests: int) -> None:
    before = rss_kb()
    from config.wsgi import application

    imported = rss_kb()
    from rest_framework_simplejwt.tokens import AccessToken

    from apps.accounts.models import User

    user = User.objects.get(email=EMAIL)
    token = str(AccessToken.for_user(user))
    status, body = call(application, "/api/v1/patients/", "page_size=5", token)
    assert status.startswith("200"), (status, body[:300])
    patient = json.loads(body)["results"][0]
    routes = [
        ("health", "/health/", "", ""),
        ("me", "/api/v1/auth/me/", "", token),
        ("list", "/api/v1/patients/", "", token),
        ("typo", "/api/v1/patients/", "search=jon+smyth", token),
        ("phone", "/api/v1/patients/", "search=" + patient["phone"].replace("+", "%2B"), token),
        ("detail", f"/api/v1/patients/{patient['id']}/", "", token),
    ]
    statuses: dict[str, set[str]] = defaultdict(set)
    for _ in range(requests):
        for label, path, query, bearer in routes:
            status, body = call(application, path, query, bearer)
            statuses[label].add(status[:3])
    served = rss_kb()
    loaded = sorted(name for name in WATCH if name in sys.modules)
    result: dict[str, object] = {"before": before, "imported": imported, "served": served, "loaded": loaded}
    result["statuses"] = {label: sorted(codes) for label, codes in statuses.items()}
    result["modules"] = len(sys.modules)
    print(json.dumps(result))


def import_costs(env: dict[str, str], top: int) -> list[tuple[str, int]]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import config.wsgi, config.urls"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    packages: dict[str, int] = defaultdict(int)
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        self_us, _cumulative, name = line.split(":", 1)[1].split("|")
        packages[name.strip().split(".")[0]] += int(self_us)
    return sorted(packages.items(), key=lambda item: -item[1])[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", nargs="?", default="all", choices=["all", "setup", "serve"])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.mode == "setup":
        return setup()
    if args.mode == "serve":
        return serve(args.requests)
    me = [sys.executable, str(Path(__file__).resolve())]
    test_env = {**os.environ, "ENV": "test", "DJANGO_SETTINGS_MODULE": "config.settings"}
    subprocess.run([*me, "setup"], cwd=ROOT, env=test_env, check=True)
    env = production_env()
    serve_command = [*me, "serve", f"--requests={args.requests}"]
    done = subprocess.run(serve_command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"serve failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    mb = lambda kb: f"{kb / 1024:.1f} MB"  # noqa: E731
    print(f"interpreter start: RSS {mb(result['before']['rss'])}")
    print(f"after import config.wsgi: RSS {mb(result['imported']['rss'])}, PSS {mb(result['imported']['pss'])}")
    print(
        f"after {args.requests} x {len(result['statuses'])} requests: RSS {mb(result['served']['rss'])}, "
        f"PSS {mb(result['served']['pss'])}, ru_maxrss {mb(result['served']['maxrss'])}; {result['modules']} modules"
    )
    print("statuses:", result["statuses"])
    print("optional heavy modules loaded:", ", ".join(result["loaded"]) or "none")
    print(f"top {args.top} packages by self import time (python -X importtime -c 'import config.wsgi, config.urls'):")
    for name, micros in import_costs(env, args.top):
        print(f"  {name:<28} {micros / 1000:7.1f} ms")


if __name__ == "__main__":
    main()
