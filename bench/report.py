"""Medians, ratios, the Markdown table and the chart of a suite run (pure functions but the chart).

Run as a script to render a results file again, e.g. with another server as the table's main column:

    .venv/bin/python bench/report.py bench/results/2026-11-26.json --main sync-3
"""

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any


def _median(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [run[key] for run in runs if run.get(key) is not None]
    return statistics.median(values) if values else None


def summarise(label: str, runs: dict[str, list[dict[str, Any]]], queries: list[int]) -> dict[str, Any]:
    """Per target (``api:<config>``, ``pgbench``, ``minimal``): the median of each figure over the repeats."""
    medians = {
        target: {
            "rps": _median(items, "rps"),
            "p50_ms": _median(items, "p50_ms"),
            "p99_ms": _median(items, "p99_ms"),
            "errors": sum(int(run.get("errors", 0)) for run in items),
        }
        for target, items in runs.items()
    }
    ratios: dict[str, dict[str, float | None]] = {}
    for target, figures in medians.items():
        if not target.startswith("api:"):
            continue
        ceiling = medians.get("pgbench", {}).get("rps")
        floor = medians.get("minimal", {}).get("rps")
        rps = figures["rps"]
        ratios[target[4:]] = {
            "vs_pgbench": round(rps / ceiling, 3) if rps and ceiling else None,
            "vs_minimal": round(rps / floor, 3) if rps and floor else None,
        }
    return {"label": label, "queries": queries, "runs": runs, "median": medians, "ratios": ratios}


def _num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def one_line(key: str, summary: dict[str, Any]) -> str:
    parts = [f"{key}:"]
    for target, figures in summary["median"].items():
        parts.append(f"{target} {_num(figures['rps'])}/s")
    for config, ratio in summary["ratios"].items():
        parts.append(f"[{config} x{_num(ratio['vs_pgbench'], 2)} ceiling, x{_num(ratio['vs_minimal'], 2)} floor]")
    return " ".join(parts)


def main_config(results: dict[str, Any]) -> str:
    """The configuration of the table's main columns: ``main_config`` of the results, else the first."""
    configs = list(results["configs"])
    wanted = results.get("main_config")
    return wanted if isinstance(wanted, str) and wanted in configs else configs[0]


def markdown(results: dict[str, Any]) -> str:
    """The tables docs/performance.md shows: the production config per endpoint, then the configs compared."""
    config = main_config(results)
    lines = [
        f"Run {results['date']} ({results['mode']}; {_sizes(results['sizes'])}); wrk {results['connections']} "
        f"connections, {results['repeats']} x {results['duration_s']} s per figure, medians. "
        f"Server: {results['configs'][config]['label']}.",
        "",
        "| endpoint | SQL / request | API req/s | p50 ms | p99 ms | pgbench tps | minimal req/s "
        "| API / pgbench | API / minimal | errors |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for summary in results["endpoints"].values():
        api = summary["median"].get(f"api:{config}", {})
        ratio = summary["ratios"].get(config, {})
        lines.append(
            f"| {summary['label']} | {'/'.join(str(q) for q in summary['queries'])} | {_num(api.get('rps'))} "
            f"| {_num(api.get('p50_ms'), 1)} | {_num(api.get('p99_ms'), 1)} "
            f"| {_num(summary['median'].get('pgbench', {}).get('rps'))} "
            f"| {_num(summary['median'].get('minimal', {}).get('rps'))} "
            f"| {_num(ratio.get('vs_pgbench'), 2)} | {_num(ratio.get('vs_minimal'), 2)} | {api.get('errors', 0)} |"
        )
    configs = list(results["configs"])
    lines += [
        "",
        "Server configurations, same run (req/s, and API / pgbench in brackets):",
        "",
        "| endpoint | " + " | ".join(configs) + " |",
        "|---|" + "--:|" * len(configs),
    ]
    for summary in results["endpoints"].values():
        cells = []
        for name in configs:
            rps = summary["median"].get(f"api:{name}", {}).get("rps")
            ratio = summary["ratios"].get(name, {}).get("vs_pgbench")
            cells.append(f"{_num(rps)} ({_num(ratio, 2)})" if ratio is not None else _num(rps))
        lines.append(f"| {summary['label']} | " + " | ".join(cells) + " |")
    lines.append(
        "| RSS per worker after the run, MB (max) | "
        + " | ".join(_num(results["configs"][name].get("rss_mb_max"), 1) for name in configs)
        + " |"
    )
    lines.append("")
    for name in configs:
        lines.append(f"- `{name}`: {results['configs'][name]['label']}")
    celery = results.get("celery")
    if celery:
        lines += [
            "",
            f"Celery: {celery['tasks']:,} tasks drained at {_num(celery['drain_per_s'])} tasks/s by "
            f"{celery['worker']}; enqueued at {_num(celery['enqueue_per_s'])}/s from one loop; "
            f"redis-benchmark LPUSH {_num(celery['lpush_per_s'])}/s (same Redis, same run).",
        ]
    return "\n".join(lines)


def _sizes(sizes: dict[str, int]) -> str:
    names = ("patients", "appointments", "invoices")
    return ", ".join(f"{sizes[name]:,} {name}" for name in names if name in sizes)


def chart(results: dict[str, Any], path: Path) -> None:
    """Throughput ratios (against the SQL ceiling and the minimal app) and p99 per endpoint, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summaries = list(results["endpoints"].values())
    labels = [s["label"] for s in summaries]
    configs = list(results["configs"])
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(12, 9), constrained_layout=True)
    width = 0.8 / (len(configs) + 1)
    positions = range(len(labels))
    for n, config in enumerate(configs):
        values = [s["ratios"].get(config, {}).get("vs_pgbench") or 0 for s in summaries]
        top.bar([p + n * width for p in positions], values, width, label=f"{config}: API / pgbench")
    main = main_config(results)
    floor = [s["ratios"].get(main, {}).get("vs_minimal") or 0 for s in summaries]
    top.bar([p + len(configs) * width for p in positions], floor, width, label=f"{main}: API / minimal app", hatch="//")
    top.axhline(0.4, color="grey", linestyle="--", linewidth=1)
    top.axhline(0.6, color="black", linestyle=":", linewidth=1)
    top.set_ylabel("throughput ratio (same run)")
    top.set_title("Throughput against the SQL ceiling (pgbench) and the framework floor (minimal WSGI app)")
    top.set_xticks([p + width * len(configs) / 2 for p in positions], labels, rotation=25, ha="right")
    top.legend(fontsize=8)
    for n, config in enumerate(configs):
        values = [s["median"].get(f"api:{config}", {}).get("p99_ms") or 0 for s in summaries]
        bottom.bar([p + n * width for p in positions], values, width, label=config)
    bottom.axhline(40, color="grey", linestyle="--", linewidth=1)
    bottom.set_ylabel("p99 latency, ms")
    bottom.set_title(f"p99 with {results['connections']} connections (dashed: the 40 ms search target)")
    bottom.set_xticks([p + width * (len(configs) - 1) / 2 for p in positions], labels, rotation=25, ha="right")
    bottom.legend(fontsize=8)
    fig.suptitle(f"ClinicOps bench {results['date']} ({results['mode']}: {_sizes(results['sizes'])})")
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", type=Path)
    parser.add_argument("--main", help="the configuration of the table's main columns")
    args = parser.parse_args()
    results = json.loads(args.results.read_text())
    if args.main:
        results["main_config"] = args.main
    chart(results, args.results.with_suffix(".png"))
    print(markdown(results))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
