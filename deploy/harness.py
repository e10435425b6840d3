"""Plumbing shared by the rehearsals and the image test: a PASS/FAIL report,
processes that are always stopped, a throw-away database and Redis, the
throwaway secrets production insists on, a tiny HTTP client, and the
outer frame of a rehearsal (report, crash as FAIL, log tails, clean-up)."""

import base64
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql


class Report:
    """One PASS/FAIL line per check; the exit code is 1 if any failed."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.started = time.monotonic()
        self.failures: list[str] = []
        self.passes = 0
        print(f"== {title}", flush=True)

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        line = f"{'PASS' if ok else 'FAIL'}  {name}"
        print(f"{line}  ({detail})" if detail else line, flush=True)
        if ok:
            self.passes += 1
        else:
            self.failures.append(name)
        return ok

    def note(self, text: str) -> None:
        print(f"      {text}", flush=True)

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        """A step whose duration is printed; an exception inside it is a FAIL, not a crash."""
        started = time.monotonic()
        try:
            yield
        except Exception as exc:
            self.check(name, False, f"{type(exc).__name__}: {exc}")
            raise StepFailed(name) from exc
        self.note(f"{name}: {time.monotonic() - started:.1f}s")

    def finish(self) -> int:
        elapsed = time.monotonic() - self.started
        print(f"== {self.title}: {self.passes} passed, {len(self.failures)} failed in {elapsed:.0f}s", flush=True)
        for name in self.failures:
            print(f"   failed: {name}", flush=True)
        return 1 if self.failures else 0


class StepFailed(Exception):
    """A step already reported as FAIL; later steps that depend on it are skipped."""


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 600,
    log: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run to completion; raise with the tail of the output when it fails."""
    result = subprocess.run(
        list(argv),
        env=dict(env) if env is not None else None,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = result.stdout + result.stderr
    if log is not None:
        with log.open("a") as handle:
            handle.write(f"$ {' '.join(argv)}\n{output}\n")
    if result.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-15:])
        raise RuntimeError(f"{' '.join(argv[:4])} ... exited {result.returncode}:\n{tail}")
    return result


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def tail(self, lines: int = 20) -> str:
        return "\n".join(self.output().splitlines()[-lines:])


@dataclass
class Processes:
    """Processes started in their own sessions, so stopping one stops its children too."""

    log_dir: Path
    started: list[Process] = field(default_factory=list)

    def start(self, name: str, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path) -> Process:
        log = self.log_dir / f"{name}.log"
        handle = log.open("ab")
        popen = subprocess.Popen(
            list(argv), env=dict(env), cwd=cwd, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        handle.close()
        process = Process(name, popen, log)
        self.started.append(process)
        return process

    def stop(self, process: Process, grace: float = 20) -> int | None:
        """SIGTERM to the process itself, as ``docker stop`` signals PID 1; SIGKILL to
        its whole group after ``grace`` seconds. Returns the exit code."""
        if process.alive():
            process.popen.send_signal(signal.SIGTERM)
            try:
                process.popen.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(process.popen.pid, signal.SIGKILL)
                process.popen.wait(10)
        with suppress(ProcessLookupError):  # children left in the group after the leader exited
            os.killpg(process.popen.pid, signal.SIGKILL)
        return process.popen.returncode

    def stop_all(self) -> None:
        for process in reversed(self.started):
            self.stop(process)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


ADMIN_DATABASE_URL = os.environ.get("DEPLOY_CHECK_ADMIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")


@contextmanager
def temporary_database(prefix: str) -> Iterator[str]:
    """A fresh, uniquely named PostgreSQL database, dropped afterwards; yields its URL."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = urlsplit(ADMIN_DATABASE_URL)
    admin_url = urlunsplit(admin._replace(scheme="postgresql"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(admin._replace(scheme="postgres", path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def start_redis(processes: Processes, port: int) -> Process:
    """A private redis-server with nothing on disk; Processes.stop_all() ends it."""
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        raise RuntimeError("redis-server not installed (apt-get install redis-server)")
    argv = [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = processes.start(f"redis-{len(processes.started)}", argv, env={"PATH": "/usr/bin:/bin"}, cwd=Path("/"))
    if not wait_until(lambda: port_open(port), 10):
        raise RuntimeError(f"redis-server did not listen on {port}: {process.tail()}")
    return process


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


@dataclass
class Services:
    """What a rehearsal runs the app against: a scratch database and a private Redis, both torn down."""

    processes: Processes
    database_url: str
    redis: Process
    redis_port: int

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def app_env(self) -> dict[str, str]:
        """Production settings' required values for this run: fresh throwaway keys, the two services."""
        return {
            "SECRET_KEY": os.urandom(48).hex(),
            "JWT_SIGNING_KEY": os.urandom(48).hex(),
            # Production refuses to start without the audit log's signing key (a throwaway one here).
            "AUDIT_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(),
            "ALLOWED_HOSTS": "localhost,127.0.0.1",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "WEB_CONCURRENCY": "2",
        }


def start_services(stack: ExitStack, log_dir: Path, database_prefix: str) -> Services:
    """Processes stopped and the database dropped when ``stack`` closes (the database first)."""
    processes = Processes(log_dir)
    stack.callback(processes.stop_all)
    database_url = stack.enter_context(temporary_database(database_prefix))
    port = free_port()
    return Services(processes, database_url, start_redis(processes, port), port)


def start_worker_and_beat(
    processes: Processes, worker: Sequence[str], beat: Sequence[str], *, env: Mapping[str, str], cwd: Path
) -> tuple[Process, Process]:
    return processes.start("worker", worker, env=env, cwd=cwd), processes.start("beat", beat, env=env, cwd=cwd)


def worker_and_beat_ready(worker: Process, beat: Process, timeout: float = 30) -> bool:
    """Both logged that they started, and both still run."""
    ready = wait_until(lambda: "ready" in worker.output() and "beat: Starting" in beat.output(), timeout)
    return ready and worker.alive() and beat.alive()


def run_rehearsal(
    report: Report,
    body: Callable[[ExitStack], None],
    *,
    work: Path,
    logs: Path,
    crashed: str,
    tail_lines: int = 20,
    keep: bool = False,
) -> int:
    """Run ``body``; everything it entered on the stack is stopped before the verdict.

    A StepFailed was already reported; any other exception is one more FAIL (``crashed``).
    On failure the tail of every log is printed. ``work`` is removed unless ``keep``.
    """
    try:
        with ExitStack() as stack:
            body(stack)
    except StepFailed:
        pass
    except Exception as exc:  # a crash is a failure, reported like one, after everything was stopped
        report.check(crashed, False, f"{type(exc).__name__}: {exc}")
    if report.failures:
        for log in sorted(logs.glob("*.log")):
            print(f"--- tail of {log.name}")
            print("\n".join(log.read_text(errors="replace").splitlines()[-tail_lines:]))
    if keep:
        report.note(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return report.finish()


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


def request(
    port: int,
    method: str,
    path: str,
    *,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    https: bool = True,
    timeout: float = 10,
) -> Response:
    """One request to 127.0.0.1:port as the platform's proxy would send it.

    ``https=True`` adds ``X-Forwarded-Proto: https``: TLS ends at the proxy, and
    production redirects anything else (except /health/) to HTTPS.
    """
    all_headers = {"Host": "localhost", "Accept": "application/json"}
    if https:
        all_headers["X-Forwarded-Proto"] = "https"
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        all_headers["Content-Type"] = "application/json"
    all_headers.update(headers or {})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()
