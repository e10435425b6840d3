"""One pgbench run, parsed: the suite's ceilings, the audit append and bench/audit.py all use it."""

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path


def run(database: str, scripts: Sequence[Path], *, clients: int, duration: int) -> dict[str, float]:
    """``pgbench -M simple`` of ``scripts`` (picked at random per transaction) on 127.0.0.1, in UTC.

    Returns tps (without connection time), the average latency in ms and the failed transactions.
    """
    command = ["pgbench", "-n", "-M", "simple", f"-c{clients}", f"-j{min(clients, 2)}", f"-T{duration}"]
    command += ["-h", "127.0.0.1", "-U", "postgres", *[f"-f{script}" for script in scripts], database]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PGTZ": "UTC"}, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"pgbench failed: {done.stderr[-2000:]}")
    tps = latency = failed = 0.0
    for line in done.stdout.splitlines():
        if line.startswith("tps ="):
            tps = float(line.split()[2])
        elif line.startswith("latency average"):
            latency = float(line.split()[3])
        elif line.startswith("number of failed transactions"):
            failed = float(line.split()[4])
    if not tps:
        raise RuntimeError(f"pgbench printed no tps: {done.stdout[-2000:]}")
    return {"tps": tps, "latency_avg_ms": latency, "errors": failed}
