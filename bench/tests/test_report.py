"""The suite's pure helpers: medians and ratios, the Markdown table, pgbench scripts from captured SQL."""

from bench import capture, report


def _run(rps, p50=2.0, p99=9.0, errors=0):
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99, "errors": errors}


def test_medians_and_ratios_are_taken_over_the_repeats():
    summary = report.summarise(
        "patient search",
        {
            "api:default": [_run(100, p99=30), _run(300, p99=10), _run(200, p99=20)],
            "pgbench": [_run(400), _run(500), _run(450)],
            "minimal": [_run(250), _run(260), _run(240)],
        },
        [8],
    )
    assert summary["median"]["api:default"] == {"rps": 200, "p50_ms": 2.0, "p99_ms": 20, "errors": 0}
    assert summary["ratios"]["default"] == {"vs_pgbench": round(200 / 450, 3), "vs_minimal": 0.8}


def test_a_write_endpoint_has_no_baseline_ratios():
    summary = report.summarise("create patient", {"api:default": [_run(50)]}, [17])
    assert summary["ratios"]["default"] == {"vs_pgbench": None, "vs_minimal": None}


def test_the_table_has_a_row_per_endpoint_and_a_column_per_config():
    results = {
        "date": "2026-11-26T12:00:00+00:00",
        "mode": "quick",
        "sizes": {"patients": 1000, "appointments": 10, "invoices": 5},
        "connections": 8,
        "repeats": 3,
        "duration_s": 2,
        "main_config": "default",
        "configs": {
            "default": {"label": "Gunicorn sync", "rss_mb_max": 70.25},
            "guide": {"label": "Gunicorn gthread", "rss_mb_max": 75.0},
        },
        "endpoints": {
            "search": report.summarise(
                "patient search",
                {
                    "api:default": [_run(200)],
                    "api:guide": [_run(100)],
                    "pgbench": [_run(400)],
                    "minimal": [_run(250)],
                },
                [8],
            ),
            "create": report.summarise("create patient", {"api:default": [_run(50)], "api:guide": [_run(40)]}, [17]),
        },
        "celery": {
            "tasks": 20000,
            "drain_per_s": 800,
            "worker": "celery prefork x2",
            "enqueue_per_s": 1500,
            "lpush_per_s": 90000,
        },
    }
    table = report.markdown(results)
    assert "| patient search | 8 | 200 | 2.0 | 9.0 | 400 | 250 | 0.50 | 0.80 | 0 |" in table
    assert "| create patient | 17 | 50 | 2.0 | 9.0 | - | - | - | - | 0 |" in table
    assert "| patient search | 200 (0.50) | 100 (0.25) |" in table
    assert "| RSS per worker after the run, MB (max) | 70.2 | 75.0 |" in table
    assert "20,000 tasks drained at 800 tasks/s" in table
    assert "LPUSH 90,000/s" in table


def test_pgbench_scripts_keep_transactions_and_make_fresh_audit_values():
    statements = [
        capture.Statement("SELECT 1", False),
        capture.Statement("BEGIN", True),
        capture.Statement(
            "INSERT INTO x VALUES ('a', 'b')",
            True,
            f"INSERT INTO x VALUES ('{capture.FRESH_UUID}', '{capture.FRESH_HASH}')",  # noqa: S608
        ),
        capture.Statement("SAVEPOINT s1", True),
        capture.Statement("COMMIT", True),
    ]
    script = capture.pgbench_script(statements)
    assert script.splitlines() == [
        "SELECT 1;",
        "BEGIN;",
        "INSERT INTO x VALUES (gen_random_uuid(), encode(sha256(gen_random_uuid()::text::bytea), 'hex'));",
        "SAVEPOINT s1;",
        "COMMIT;",
    ]
    assert capture.query_count(statements) == 2
