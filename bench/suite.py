"""The performance suite: ``make bench`` (quick) and ``make bench FULL=1``.

One run: create a PostgreSQL database, load patients, appointments and
invoices with COPY, start a private Redis and the API the way production
starts it (the Dockerfile's Gunicorn command, ``ENV=production``) under each
server configuration, capture each endpoint's SQL from Django and build the
two baselines (pgbench replaying that SQL, the minimal WSGI app serving it),
then load every endpoint with wrk three times, interleaved with its
baselines, and report medians. Also drains 20,000 Celery tasks next to
redis-benchmark's LPUSH rate, and pgbenches the audit append at 1, 4 and 8
clients beside a plain INSERT (bench/audit_append.py). Writes ``bench/results/<date>.json`` and a PNG
chart beside it, prints a Markdown table, drops the database.

Figures are only comparable within one run: the machine is shared.
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import audit_append, capture, data, endpoints, pgbench, report, servers  # noqa: E402
from bench.celery_drain import drain  # noqa: E402

MODES: dict[str, dict[str, int]] = {
    "quick": {"clinics": 50, "patients": 200_000, "appointments": 200_000, "invoices": 40_000, "duration": 1},
    "full": {"clinics": 50, "patients": 1_000_000, "appointments": 1_000_000, "invoices": 200_000, "duration": 5},
}
CONNECTIONS = 8
REPEATS = 3
SAMPLES = 100  # distinct requests per endpoint (pgbench takes at most 128 script files)
CELERY_TASKS = 20_000
VENV_BIN = Path(sys.executable).parent


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk is missing: installing Debian's package")
    if os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, capture_output=True)
        if not shutil.which("wrk"):
            subprocess.run(["apt-get", "update", "-q"], check=False, capture_output=True)
            subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is needed: apt-get install wrk")
    return found


# --- Django, in this process: capture SQL and mint tokens ---------------------------------


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()
    import logging

    logging.getLogger("clinicops.request").setLevel(logging.WARNING)  # the capture's requests: no access lines


def mint_tokens(owners: dict[str, str]) -> dict[str, str]:
    """A fresh access token (valid 15 minutes) for each clinic's owner."""
    from rest_framework_simplejwt.tokens import AccessToken

    from apps.accounts.models import User

    users = {str(u.pk): u for u in User.objects.filter(pk__in=list(owners.values()))}
    return {clinic: str(AccessToken.for_user(users[uid])) for clinic, uid in owners.items()}


def capture_all(dataset: data.Dataset, seed: int, tokens: dict[str, str]) -> dict[str, list[capture.Captured]]:
    from django.test import Client

    client = Client(SERVER_NAME="127.0.0.1")
    rng = random.Random()  # new people each run: a kept database has the last run's
    out: dict[str, list[capture.Captured]] = {}
    for endpoint in endpoints.ENDPOINTS:
        captured = []
        count = SAMPLES if endpoint.read else 3
        for sample in endpoints.samples(dataset, endpoint.key, count, seed):
            headers = {"HTTP_X_FORWARDED_PROTO": "https"}
            if sample.clinic:
                headers["HTTP_AUTHORIZATION"] = f"Bearer {tokens[sample.clinic]}"
            body = endpoints.concrete_body(sample.body, rng) if sample.body else None
            result = capture.capture(client, endpoint.key, sample.method, sample.path, body, **headers)
            if result.status not in (200, 201):
                raise RuntimeError(f"{endpoint.key} {sample.path} answered {result.status}: {result.body}")
            result.path, result.clinic = sample.path, sample.clinic
            result.user = dataset.owners.get(sample.clinic, "")
            captured.append(result)
        out[endpoint.key] = captured
        counts = sorted({len(c.statements) for c in captured})
        log(f"captured {endpoint.key}: {len(captured)} requests, SQL statements per request {counts}")
    return out


# --- load generators ------------------------------------------------------------------------


def requests_file(path: Path, samples: list[endpoints.Sample], tokens: dict[str, str]) -> Path:
    with path.open("w") as out:
        for s in samples:
            out.write(f"{s.method}\t{s.path}\t{tokens.get(s.clinic, '-') if s.clinic else '-'}\t{s.body or '-'}\n")
    return path


def run_wrk(wrk: str, url: str, requests: Path, duration: int) -> dict[str, Any]:
    command = [wrk, "-t2", f"-c{CONNECTIONS}", f"-d{duration}s", "--timeout", "5s", "-s", str(ROOT / "bench/wrk.lua")]
    done = subprocess.run(
        [*command, url], env={**os.environ, "BENCH_REQUESTS": str(requests)}, capture_output=True, text=True, check=True
    )
    line = [raw for raw in done.stdout.splitlines() if raw.startswith("{")][-1]
    result = json.loads(line)
    seconds = result["duration_us"] / 1e6
    errors = sum(result[k] for k in ("connect_errors", "read_errors", "write_errors", "non_2xx", "timeouts"))
    return {
        "rps": result["requests"] / seconds,
        "p50_ms": result["p50_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
        "requests": result["requests"],
        "errors": errors,
    }


def run_pgbench(database: str, scripts: list[Path], duration: int) -> dict[str, Any]:
    done = pgbench.run(database, scripts, clients=CONNECTIONS, duration=duration)
    return {"rps": done["tps"], "latency_avg_ms": done["latency_avg_ms"], "errors": done["errors"]}


# --- the run ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="1M patients, 1M appointments, 200k invoices; longer runs")
    parser.add_argument("--database", default="clinicops_bench_suite")
    parser.add_argument("--duration", type=int, help="seconds per wrk/pgbench run (default: by mode)")
    parser.add_argument("--only", help="comma-separated endpoint keys (default: all)")
    parser.add_argument(
        "--configs",
        help="comma-separated server configs, or 'default' (config/gunicorn.conf.py's own); default: all: "
        + ", ".join(c.key for c in servers.SERVER_CONFIGS),
    )
    parser.add_argument("--reuse", action="store_true", help="reuse a database kept by --keep (same mode)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--profile", help="endpoint keys: after the timed runs, py-spy the default config's workers")
    parser.add_argument("--no-celery", action="store_true")
    parser.add_argument("--no-audit", action="store_true", help="skip the audit append pgbench")
    parser.add_argument("--out", default=str(ROOT / "bench/results"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    mode = "full" if args.full else "quick"
    sizes = MODES[mode]
    duration = args.duration or sizes["duration"]
    keys = args.only.split(",") if args.only else [e.key for e in endpoints.ENDPOINTS]
    try:
        configs = servers.resolve_configs(args.configs)
    except ValueError as exc:
        parser.error(str(exc))
    wrk = ensure_wrk()
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="clinicops-bench-"))
    cache = ROOT / "bench/.cache"
    log(f"mode {mode}: {sizes}; work files in {work}")

    redis = servers.start_redis(work)
    processes: list[servers.Process] = [redis]
    database_url = data.admin_dsn(args.database)
    env = servers.production_env(database_url, f"redis://127.0.0.1:{redis.port}/0")
    if args.reuse and (cache / f"{mode}.json").exists():
        dataset = data.Dataset(**json.loads((cache / f"{mode}.json").read_text()))
        dataset.clinics = [data.Clinic(**c) for c in dataset.clinics]  # type: ignore[arg-type]
        log("reusing the kept database")
    else:
        log(f"creating database {args.database} and migrating")
        data.create_database(args.database, settings_env=env)
        log("loading (COPY)")
        dataset = data.load_all(
            args.database,
            clinics=sizes["clinics"],
            patients=sizes["patients"],
            appointments=sizes["appointments"],
            invoices=sizes["invoices"],
            seed=args.seed,
        )
        log(f"loaded {dataset.counts} in { {k: round(v, 1) for k, v in dataset.seconds.items()} } s")
        if args.keep:
            cache.mkdir(exist_ok=True)
            (cache / f"{mode}.json").write_text(json.dumps(asdict(dataset)))
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": mode,
        "sizes": {**dataset.counts},
        "load_seconds": {k: round(v, 1) for k, v in dataset.seconds.items()},
        "duration_s": duration,
        "connections": CONNECTIONS,
        "repeats": REPEATS,
        "machine": {"cpus": os.cpu_count(), "load_before": os.getloadavg()},
        "https": "X-Forwarded-Proto: https sent with every request (SECURE_SSL_REDIRECT stays on)",
        "endpoints": {},
        "configs": {},
        # the table's server: what config/gunicorn.conf.py gives by default
        "main_config": servers.default_config_key(),
    }
    try:
        django_setup(env)
        tokens = mint_tokens(dataset.owners)
        captured = capture_all(dataset, args.seed, tokens)
        from bench import minimal

        plan = minimal.write_plan(work / "plan.json", captured)
        scripts: dict[str, list[Path]] = {}
        for key, items in captured.items():
            if endpoints.BY_KEY[key].read:
                scripts[key] = []
                for n, item in enumerate(items):
                    script = work / f"pgbench-{key}-{n:03d}.sql"
                    script.write_text(minimal.pgbench_text(item))
                    scripts[key].append(script)

        log("starting servers: " + ", ".join(c.key for c in configs) + ", minimal")
        apis = {c.key: servers.start_api(c, env, work, VENV_BIN) for c in configs}
        processes += apis.values()
        floor = servers.start_minimal(env, plan, work, VENV_BIN)
        processes.append(floor)
        for process in [*apis.values(), floor]:
            servers.wait_http(process)
        for config in configs:
            results["configs"][config.key] = {"label": config.label, "command": apis[config.key].extra["command"]}
        results["minimal_command"] = floor.extra["command"]
        results["minimal_same_json"] = minimal.check_same_json(floor.url, captured, tokens, work / "json-diffs.txt")
        log(f"minimal app answers like Django: {results['minimal_same_json']}")

        for key in keys:
            endpoint = endpoints.BY_KEY[key]
            samples = endpoints.samples(dataset, key, SAMPLES, args.seed)
            runs: dict[str, list[dict[str, Any]]] = {f"api:{c.key}": [] for c in configs}
            if endpoint.read:
                runs.update(pgbench=[], minimal=[])
            log(f"{endpoint.label}: warming up")
            for config in configs:
                tokens = mint_tokens(dataset.owners)
                run_wrk(wrk, apis[config.key].url, requests_file(work / "req.tsv", samples, tokens), 1)
            for repeat in range(REPEATS):
                tokens = mint_tokens(dataset.owners)
                file = requests_file(work / f"req-{key}.tsv", samples, tokens)
                order = list(runs)
                random.Random(f"{args.seed}-{key}-{repeat}").shuffle(order)
                for target in order:
                    if target == "pgbench":
                        runs[target].append(run_pgbench(args.database, scripts[key], duration))
                    elif target == "minimal":
                        runs[target].append(run_wrk(wrk, floor.url, file, duration))
                    else:
                        runs[target].append(run_wrk(wrk, apis[target[4:]].url, file, duration))
            if args.profile and key in args.profile.split(","):
                main = next((c for c in configs if c.key == report.main_config(results)), configs[0])
                log(f"{endpoint.label}: profiling the {main.key} workers with py-spy")
                results.setdefault("profiles", {})[key] = profile(apis[main.key], wrk, file, duration, work)
            queries = sorted({capture.query_count(c.statements) for c in captured[key]})
            results["endpoints"][key] = report.summarise(endpoint.label, runs, queries)
            log(report.one_line(key, results["endpoints"][key]))

        for config in configs:
            workers = apis[config.key].children()
            rss = [servers.rss_mb(pid) for pid in workers]
            pss = [servers.pss_mb(pid) for pid in workers]
            results["configs"][config.key].update(
                workers=len(workers),
                rss_mb_max=round(max(rss), 1),
                rss_mb_mean=round(statistics.mean(rss), 1),
                pss_mb_mean=round(statistics.mean(pss), 1),
            )
        if not args.no_audit:
            log("audit append: pgbench of the app's append and of a plain INSERT, 1, 4 and 8 clients")
            clinic_id, actor_id = next(iter(dataset.owners.items()))
            results["audit_append"] = audit_append.measure(
                args.database, actor_id=actor_id, clinic_id=clinic_id, duration=duration, work=work, repeats=REPEATS
            )
            log(audit_append.markdown(results["audit_append"]).splitlines()[-1])
        if not args.no_celery:
            log(f"Celery: draining {CELERY_TASKS:,} tasks; redis-benchmark LPUSH")
            results["celery"] = drain(env, redis.port, CELERY_TASKS, work, VENV_BIN)
    finally:
        for process in reversed(processes):
            process.stop()
        from django.db import connections

        connections.close_all()
        if not args.keep:
            data.drop_database(args.database)
            log(f"dropped database {args.database}")
    results["wall_seconds"] = round(time.monotonic() - started)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = datetime.now(UTC).strftime("%Y-%m-%d") + ("" if mode == "full" else "-quick")
    (out / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    report.chart(results, out / f"{stem}.png")
    print()
    print(report.markdown(results))
    if "audit_append" in results:
        print()
        print(audit_append.markdown(results["audit_append"]))
    log(f"wrote {out / (stem + '.json')} and {out / (stem + '.png')} in {results['wall_seconds']} s")


PROFILE_AREAS = {
    "DRF serializers": "rest_framework/serializers.py",
    "DRF throttling (cache)": "rest_framework/throttling.py",
    "JWT authentication": "rest_framework_simplejwt/",
    "audit chain (apps.audit)": "apps/audit/",
    "ORM: compiling SQL": "django/db/models/sql/compiler.py",
    "ORM querysets, their SQL included": "django/db/models/query.py",
    "psycopg (sending, waiting)": "psycopg/",
    "logging": "logging/__init__.py",
    "middleware chain": "django/utils/deprecation.py",
    "gunicorn (HTTP parsing, socket)": "gunicorn/",
}


def profile(process: servers.Process, wrk: str, requests: Path, duration: int, work: Path) -> dict[str, Any]:
    """py-spy every worker while wrk loads the endpoint; where the CPU samples fall, by area and by function."""
    prefix = f"profile-{requests.stem}"
    spy = [str(VENV_BIN / "py-spy"), "record", "--nonblocking", "-d", str(duration), "-r", "200", "-f", "raw"]
    spies = [
        subprocess.Popen(
            [*spy, "-p", str(pid), "-o", str(work / f"{prefix}-{pid}.txt")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in process.children()
    ]
    time.sleep(1)
    run_wrk(wrk, process.url, requests, duration)
    for spying in spies:
        spying.wait(timeout=duration + 60)
    return summarise_profile(sorted(work.glob(f"{prefix}-*.txt")))


def summarise_profile(files: list[Path]) -> dict[str, Any]:
    """Shares of CPU samples: per area (a frame of it anywhere in the stack) and per own function."""
    total = 0
    areas = dict.fromkeys(PROFILE_AREAS, 0)
    own: dict[str, int] = {}
    for file in files:
        for line in file.read_text().splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not count_text.isdigit():
                continue
            count = int(count_text)
            total += count
            for area, marker in PROFILE_AREAS.items():
                if marker in stack:
                    areas[area] += count
            leaf = stack.split(";")[-1]
            own[leaf] = own.get(leaf, 0) + count
    if not total:
        return {"samples": 0}
    top = sorted(own.items(), key=lambda item: -item[1])[:12]
    return {
        "samples": total,
        "areas_pct": {area: round(100 * n / total, 1) for area, n in areas.items()},
        "top_own_pct": {name: round(100 * n / total, 1) for name, n in top},
    }


if __name__ == "__main__":
    main()
