"""The typo search's SQL alone, on a database loaded by ``bench/patients.py --keep``.

    .venv/bin/python bench/patients.py --patients 1000000 --clinics 50 --keep --database D
    .venv/bin/python bench/search_sql.py --database D [--terms 100] [--clients 8] [--without INDEX,...]

The statement is the one ``patient_search`` sends for a name (first page: the ``%``
filter at ``NAME_SIMILARITY_THRESHOLD`` in one clinic, ranked by similarity, then family
name and id; 21 rows). Prints its latency over ``--terms`` typo terms on one connection
(p50/p95/p99), then pgbench with ``--clients`` connections over 40 of them. ``--without``
drops indexes inside the timing transaction (rolled back) to compare index designs.
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps.core.demo_names import GIVEN_NAMES  # noqa: E402
from apps.patients.search import NAME_SIMILARITY_THRESHOLD, fold  # noqa: E402
from bench import pgbench  # noqa: E402
from bench.data import FAMILIES, admin_dsn, typo  # noqa: E402

PAGE = (
    "SELECT id, similarity(search_name, {t}) FROM patients_patient WHERE clinic_id IN ({c}) "
    "AND merged_into_id IS NULL AND active AND search_name % {t} "
    "ORDER BY similarity(search_name, {t}) DESC, family_name, id LIMIT 21"
)


def percentile(sorted_ms: list[float], share: float) -> float:
    return sorted_ms[max(0, int(len(sorted_ms) * share) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="clinicops_bench_patients")
    parser.add_argument("--terms", type=int, default=100)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--without", default="", help="indexes to drop (comma-separated) for the single-connection run")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with psycopg.connect(admin_dsn(args.database)) as conn:
        clinics = [str(row[0]) for row in conn.execute("SELECT id FROM clinics_clinic ORDER BY id").fetchall()]
        terms = [
            (rng.choice(clinics), fold(f"{typo(rng.choice(GIVEN_NAMES), rng)} {typo(rng.choice(FAMILIES), rng)}"))
            for _ in range(args.terms)
        ]
        conn.execute("SELECT set_config('pg_trgm.similarity_threshold', %s, false)", [str(NAME_SIMILARITY_THRESHOLD)])
        for index in filter(None, args.without.split(",")):
            conn.execute(f'DROP INDEX "{index}"')
        timings = []
        with_params = PAGE.replace("%", "%%").format(t="%(t)s", c="%(c)s")
        for clinic, term in terms:
            started = time.perf_counter()
            conn.execute(with_params, {"t": term, "c": clinic}).fetchall()
            timings.append((time.perf_counter() - started) * 1000)
        conn.rollback()
    timings.sort()
    print(
        f"one connection, {len(timings)} terms{' without ' + args.without if args.without else ''}: "
        f"p50 {statistics.median(timings):.1f} ms, p95 {percentile(timings, 0.95):.1f}, "
        f"p99 {percentile(timings, 0.99):.1f}, max {timings[-1]:.1f}"
    )
    with tempfile.TemporaryDirectory() as folder:
        scripts = []
        for n, (clinic, term) in enumerate(terms[:40]):
            script = Path(folder) / f"search{n}.sql"
            quoted, clinic_id = "'" + term.replace("'", "''") + "'", f"'{clinic}'"
            threshold = f"SELECT set_config('pg_trgm.similarity_threshold', '{NAME_SIMILARITY_THRESHOLD}', false);\n"
            script.write_text(threshold + PAGE.format(t=quoted, c=clinic_id) + ";\n")
            scripts.append(script)
        result = pgbench.run(args.database, scripts, clients=args.clients, duration=args.duration)
    print(
        f"pgbench, {args.clients} connections, {args.duration} s: {result['tps']:.0f} searches/s, "
        f"average latency {result['latency_avg_ms']:.1f} ms"
    )


if __name__ == "__main__":
    main()
