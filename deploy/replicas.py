"""Replica rehearsal: two web instances behind HAProxy, one killed under load.

    make rehearse-replicas      (or: .venv/bin/python -m deploy.replicas)

What a cluster does with two web replicas behind a Service, on this host:
a scratch PostgreSQL database and a private redis-server (deploy/harness.py),
the migrate step (entrypoint.sh's release role), two instances of the
Dockerfile's CMD (Gunicorn) on two free ports, a Celery worker and Beat as
compose.prod.yml starts them, and HAProxy (Debian's package) in front with an
HTTP health check on /health/ every 500 ms. Client threads send authenticated
API reads over keep-alive connections through HAProxy for a fixed time; one
web instance is killed with SIGKILL (its whole process group, as when a node
or container dies) mid-load, and patient exports are requested through
HAProxy around the kill.

Measured and printed: requests sent, failures before HAProxy marked the
instance DOWN and after, the detection time, throughput and latency. Passes
when no request fails after detection and every export that was accepted
(202) is finished by the worker: no task lost. Exits 1 otherwise.
"""

import csv
import io
import os
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import threading
import time
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path

from deploy import dockerfile, probes
from deploy.harness import (
    Report,
    StepFailed,
    free_port,
    request,
    run,
    run_rehearsal,
    start_services,
    start_worker_and_beat,
    wait_until,
    worker_and_beat_ready,
)
from deploy.rehearse import compose_command

REPO = Path(__file__).resolve().parents[1]
LOAD_SECONDS = float(os.environ.get("REPLICAS_LOAD_SECONDS", "12"))
KILL_AFTER = LOAD_SECONDS / 3
CLIENTS = 4
CHECK_INTERVAL_MS = 500
LOAD_PATH = "/api/v1/auth/me/"

HAPROXY_CONFIG = """\
global
    maxconn 256
    stats socket {socket} mode 600 level admin

defaults
    mode http
    timeout connect 1s
    timeout client 15s
    timeout server 15s
    # A connection refused by a dead instance is retried on the other one;
    # a request already sent to it is not (it may not be idempotent).
    retries 2
    option redispatch 1
    option http-keep-alive

frontend clinicops
    bind 127.0.0.1:{port}
    default_backend web

backend web
    balance roundrobin
    option httpchk
    http-check send meth GET uri /health/ hdr Host localhost
    http-check expect status 200
{servers}
"""


@dataclass
class Sample:
    ended: float
    ok: bool
    latency: float


@dataclass
class Load:
    """Client threads with keep-alive connections, each reconnecting after an error."""

    port: int
    headers: dict[str, str]
    until: float
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self) -> None:
        connection = HTTPConnection("127.0.0.1", self.port, timeout=10)
        while time.monotonic() < self.until:
            started = time.monotonic()
            try:
                connection.request("GET", LOAD_PATH, headers=self.headers)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
            except (OSError, ValueError, ConnectionError):
                ok = False
                connection.close()
                connection = HTTPConnection("127.0.0.1", self.port, timeout=10)
            now = time.monotonic()
            with self.lock:
                self.samples.append(Sample(now, ok, now - started))
        connection.close()


def haproxy_state(sock_path: Path) -> dict[str, str]:
    """Server name -> status (UP, DOWN, ...) from HAProxy's stats socket."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        sock.connect(str(sock_path))
        sock.sendall(b"show stat\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    rows = csv.DictReader(io.StringIO(data.decode().lstrip("# ")))
    return {row["svname"]: row["status"] for row in rows if row["pxname"] == "web" and row["svname"] != "BACKEND"}


def rehearse(report: Report, work: Path, stack: ExitStack) -> None:
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        report.check("HAProxy installed", False, "apt-get install haproxy (.ci/run does)")
        raise StepFailed("haproxy")
    services = start_services(stack, work, "clinicops_replicas")
    processes = services.processes
    proxy_port = free_port()
    web_ports = [free_port(), free_port()]
    bin_dir = Path(sys.executable).parent
    env = {
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": str(work),
        **{k: v for k, v in dockerfile.env(REPO / "Dockerfile").items() if k not in {"PATH", "PORT"}},
        **services.app_env(),
        "MEDIA_ROOT": str(work / "media"),
        # One user sends every request here; the per-user throttle is not under test.
        "THROTTLE_USER": "1000000/minute",
    }
    with report.timed("migrate (entrypoint.sh release role)"):
        run([str(REPO / "entrypoint.sh"), "release"], env=env, cwd=REPO, timeout=300, log=work / "release.log")

    gunicorn = dockerfile.cmd(REPO / "Dockerfile")
    webs = [
        processes.start(f"web{i + 1}", gunicorn, env=env | {"PORT": str(p)}, cwd=REPO) for i, p in enumerate(web_ports)
    ]
    worker, beat = start_worker_and_beat(
        processes, in_repo(compose_command("celery")), in_repo(compose_command("celery-beat")), env=env, cwd=REPO
    )
    sock_path = work / "haproxy.sock"
    servers = "\n".join(
        f"    server web{i + 1} 127.0.0.1:{p} check inter {CHECK_INTERVAL_MS}ms fall 2 rise 2"
        for i, p in enumerate(web_ports)
    )
    config = work / "haproxy.cfg"
    config.write_text(HAPROXY_CONFIG.format(socket=sock_path, port=proxy_port, servers=servers))
    run([haproxy, "-c", "-f", str(config)])
    processes.start("haproxy", [haproxy, "-db", "-f", str(config)], env={"PATH": "/usr/bin:/bin"}, cwd=work)

    up = wait_until(lambda: sock_path.exists() and set(haproxy_state(sock_path).values()) == {"UP"}, 60)
    report.check(
        "two Gunicorn instances (the Dockerfile's CMD) UP behind HAProxy",
        up,
        f"{' '.join(gunicorn)} on :{web_ports[0]} and :{web_ports[1]}, HAProxy :{proxy_port}",
    )
    if not up:
        raise StepFailed("web")
    report.check("worker and Beat running", worker_and_beat_ready(worker, beat))

    credentials = probes.Credentials.new()
    run(["python", "manage.py", "shell", "-c", probes.CREATE_USER], env=env | credentials.env(), cwd=REPO)
    access, detail = probes.login(proxy_port, credentials)
    report.check("JWT login through HAProxy", access is not None, detail)
    if access is None:
        raise StepFailed("login")
    ok, detail, records = probes.create_clinic_and_patient(proxy_port, access)
    report.check("clinic and patient created through HAProxy", ok and records is not None, detail)
    if records is None:
        raise StepFailed("records")
    auth = {"Authorization": f"Bearer {access}", "Host": "localhost", "X-Forwarded-Proto": "https"}

    started = time.monotonic()
    load = Load(proxy_port, auth, until=started + LOAD_SECONDS)
    threads = [threading.Thread(target=load.client, daemon=True) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    accepted: list[str] = []
    refused = 0
    killed_at = detected_at = None
    export_times = [KILL_AFTER - 1, KILL_AFTER - 0.2, KILL_AFTER + 0.2, KILL_AFTER + 1, KILL_AFTER + 3]
    while time.monotonic() < load.until:
        now = time.monotonic() - started
        if export_times and now >= export_times[0]:
            export_times.pop(0)
            try:
                answer = request(
                    proxy_port, "POST", "/api/v1/patients/exports/", body={"clinic": records.clinic}, headers=auth
                )
                if answer.status == 202:
                    accepted.append(answer.json()["id"])
                else:
                    refused += 1
            except OSError:
                refused += 1
        if killed_at is None and now >= KILL_AFTER:
            os.killpg(webs[0].popen.pid, signal.SIGKILL)  # the master and its workers at once
            killed_at = time.monotonic()
        if killed_at is not None and detected_at is None:
            with suppress(OSError):
                if haproxy_state(sock_path).get("web1", "").startswith("DOWN"):
                    detected_at = time.monotonic()
        time.sleep(0.02)
    for thread in threads:
        thread.join(15)

    samples = load.samples
    detection = (detected_at - killed_at) if detected_at and killed_at else None
    cutoff = detected_at or float("inf")
    before = sum(1 for s in samples if not s.ok and s.ended < cutoff)
    after = sum(1 for s in samples if not s.ok and s.ended >= cutoff)
    latencies = sorted(s.latency for s in samples if s.ok)
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else 0
    report.note(
        f"load: {len(samples)} requests in {LOAD_SECONDS:.0f}s over {CLIENTS} keep-alive clients "
        f"({len(samples) / LOAD_SECONDS:.0f} req/s), GET {LOAD_PATH}; "
        f"latency p50 {statistics.median(latencies) * 1000 if latencies else 0:.1f} ms, p99 {p99:.1f} ms"
    )
    report.note(
        f"web1 SIGKILLed at t={killed_at - started if killed_at else 0:.1f}s; HAProxy marked it DOWN after "
        f"{detection:.2f}s"
        if detection is not None
        else "HAProxy never marked the killed instance DOWN"
    )
    report.note(f"failures: {before} before detection, {after} after; export requests refused: {refused}")
    report.check(
        "HAProxy's health check noticed the killed instance",
        detection is not None and detection < 5,
        f"{detection:.2f}s (check every {CHECK_INTERVAL_MS} ms, fall 2)" if detection is not None else "never",
    )
    report.check(
        "no request failed after HAProxy noticed",
        detection is not None and after == 0 and len(samples) > 100,
        f"{len(samples)} requests, {before} failed before detection, {after} after",
    )

    def exports_done() -> bool:
        statuses = [
            request(proxy_port, "GET", f"/api/v1/patients/exports/{export}/", headers=auth).json().get("status")
            for export in accepted
        ]
        return all(status == "done" for status in statuses)

    finished = wait_until(exports_done, 30, interval=1)
    report.check(
        "every export accepted around the kill was run by the worker (no task lost)",
        finished and len(accepted) >= 3,
        f"{len(accepted)} exports accepted (202), all done: {finished}",
    )
    report.check("the surviving instance, worker and Beat are still running", webs[1].alive() and worker.alive())


def in_repo(argv: list[str]) -> list[str]:
    """An image's command with its /app paths pointing into this checkout."""
    return [str(REPO / arg.removeprefix("/app/")) if arg.startswith("/app/") else arg for arg in argv]


def main() -> int:
    report = Report("replica rehearsal (two web instances behind HAProxy)")
    work = Path(tempfile.mkdtemp(prefix="clinicops-replicas-"))
    return run_rehearsal(
        report, lambda stack: rehearse(report, work, stack), work=work, logs=work, crashed="replica rehearsal finished"
    )


if __name__ == "__main__":
    sys.exit(main())
