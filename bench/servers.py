"""Processes the suite starts: a private Redis, the API under each server configuration, the minimal app.

The API starts the way production does: the start command of the root
Dockerfile (``CMD``), i.e. Gunicorn with ``config/gunicorn.conf.py``, and
``ENV=production`` settings. The only change is the address: ``--bind
127.0.0.1:<free port>`` instead of ``0.0.0.0:$PORT``.
"""

import base64
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_START = ["gunicorn", "--config", "config/gunicorn.conf.py", "config.wsgi:application"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def dockerfile_command(path: Path = ROOT / "Dockerfile") -> list[str]:
    """The exec-form CMD of the Dockerfile, or Gunicorn with the production config if there is none."""
    if path.exists():
        commands = re.findall(r"^CMD\s+(\[.*\])\s*$", path.read_text(), flags=re.MULTILINE)
        if commands:
            return list(json.loads(commands[-1]))
    return list(DEFAULT_START)


def production_env(database_url: str, redis_url: str) -> dict[str, str]:
    """Production settings with a throwaway secret; HTTPS is said by X-Forwarded-Proto, as behind the proxy."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    env.update(
        ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        AUDIT_SIGNING_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        # The user throttle (1000/minute) would answer 429 to a load test; it still runs (Redis round trip).
        THROTTLE_USER="100000000/minute",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


@dataclass
class Process:
    name: str
    port: int
    popen: subprocess.Popen[bytes]
    log: Path
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def children(self) -> list[int]:
        """Worker processes (direct children of the server's main process)."""
        try:
            raw = Path(f"/proc/{self.popen.pid}/task/{self.popen.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in raw.split()]

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def rss_mb(pid: int) -> float:
    """Resident set size of a process, from /proc (MB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pss_mb(pid: int) -> float:
    """Proportional set size (shared pages split between the processes sharing them), MB."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def start(name: str, command: list[str], env: dict[str, str], port: int, logs: Path) -> Process:
    log = logs / f"{name}.log"
    handle = log.open("wb")
    popen = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    return Process(name, port, popen, log)


def wait_http(process: Process, path: str = "/health/", timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise RuntimeError(f"{process.name} exited: see {process.log}")
        try:
            with urllib.request.urlopen(process.url + path, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{process.name} did not answer {path} within {timeout}s: see {process.log}")


def start_redis(logs: Path) -> Process:
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = start("redis", command, dict(os.environ), port, logs)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).stdout.strip() == b"PONG":
            return process
        time.sleep(0.1)
    raise RuntimeError("redis-server did not start")


@dataclass(frozen=True)
class ServerConfig:
    key: str
    label: str
    kind: str  # "gunicorn" (the Dockerfile's command) or "granian"
    env: tuple[tuple[str, str], ...] = ()
    granian_args: tuple[str, ...] = ()


SERVER_CONFIGS = [
    ServerConfig(
        "gthread-4x2",
        "Gunicorn gthread, 4 workers x 2 threads (the guide)",
        "gunicorn",
        (("WEB_CONCURRENCY", "4"), ("GUNICORN_THREADS", "2")),
    ),
    ServerConfig(
        "gthread-2x4",
        "Gunicorn gthread, 2 workers x 4 threads",
        "gunicorn",
        (("WEB_CONCURRENCY", "2"), ("GUNICORN_THREADS", "4")),
    ),
    ServerConfig(
        "sync-3",
        "Gunicorn sync, 3 workers (cores + 1)",
        "gunicorn",
        (("WEB_CONCURRENCY", "3"), ("GUNICORN_THREADS", "1")),
    ),
    ServerConfig(
        "sync-5",
        "Gunicorn sync, 5 workers (2 x cores + 1)",
        "gunicorn",
        (("WEB_CONCURRENCY", "5"), ("GUNICORN_THREADS", "1")),
    ),
    ServerConfig(
        "granian-2x4",
        "Granian WSGI, 2 workers x 4 blocking threads",
        "granian",
        granian_args=("--workers", "2", "--blocking-threads", "4"),
    ),
]


def config_default(path: Path = ROOT / "config/gunicorn.conf.py") -> tuple[int, int]:
    """(workers, threads) that config/gunicorn.conf.py gives when WEB_CONCURRENCY and GUNICORN_THREADS are unset."""
    saved = {name: os.environ.pop(name) for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS") if name in os.environ}
    try:
        namespace: dict[str, object] = {}
        exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102 - our own config file
    finally:
        os.environ.update(saved)
    return int(str(namespace["workers"])), int(str(namespace["threads"]))


def default_config_key() -> str | None:
    """The measured configuration that is config/gunicorn.conf.py's default, if one is."""
    workers, threads = config_default()
    for config in SERVER_CONFIGS:
        env = dict(config.env)
        if config.kind == "gunicorn" and env == {"WEB_CONCURRENCY": str(workers), "GUNICORN_THREADS": str(threads)}:
            return config.key
    return None


def start_api(config: ServerConfig, env: dict[str, str], logs: Path, venv_bin: Path) -> Process:
    port = free_port()
    server_env = {**env, **dict(config.env), "PORT": str(port)}
    if config.kind == "gunicorn":
        command = dockerfile_command()
        command[0] = str(venv_bin / command[0]) if (venv_bin / command[0]).exists() else command[0]
        command = [*command, "--bind", f"127.0.0.1:{port}"]
    else:
        command = [
            str(venv_bin / "granian"),
            "--interface", "wsgi",
            "--host", "127.0.0.1",
            "--port", str(port),
            *config.granian_args,
            "--no-ws",
            "config.wsgi:application",
        ]  # fmt: skip
    process = start(f"api-{config.key}", command, server_env, port, logs)
    process.extra["command"] = " ".join(command)
    return process


def start_minimal(env: dict[str, str], plan: Path, logs: Path, venv_bin: Path) -> Process:
    """The minimal app under the same Gunicorn command and config as production (sync workers)."""
    port = free_port()
    command = dockerfile_command()
    command[0] = str(venv_bin / command[0]) if (venv_bin / command[0]).exists() else command[0]
    command = [*command[:-1], "bench.minimal:application", "--bind", f"127.0.0.1:{port}"]
    process = start("minimal", command, {**env, "PORT": str(port), "BENCH_PLAN": str(plan)}, port, logs)
    process.extra["command"] = " ".join(command)
    return process


DEFAULT_NAME = "default"


def resolve_configs(names: str | None) -> list[ServerConfig]:
    """The server configurations ``--configs`` names, in order: all of them when empty.

    ``default`` is what config/gunicorn.conf.py gives when WEB_CONCURRENCY and
    GUNICORN_THREADS are unset (the measured config that matches it, else one
    that sets neither). An unknown name is an error naming the known ones, not
    a silently empty run.
    """
    if not names or not names.strip():
        return list(SERVER_CONFIGS)
    by_key = {config.key: config for config in SERVER_CONFIGS}
    chosen: list[ServerConfig] = []
    unknown: list[str] = []
    for name in (part.strip() for part in names.split(",")):
        if not name:
            continue
        if name == DEFAULT_NAME:
            key = default_config_key()
            workers, threads = config_default()
            config = (
                by_key[key]
                if key
                else ServerConfig(
                    DEFAULT_NAME,
                    f"Gunicorn as configured by default ({workers} workers x {threads} threads)",
                    "gunicorn",
                )
            )
        elif name in by_key:
            config = by_key[name]
        else:
            unknown.append(name)
            continue
        if config not in chosen:
            chosen.append(config)
    if unknown or not chosen:
        known = ", ".join([DEFAULT_NAME, *by_key])
        raise ValueError(f"unknown server config(s): {', '.join(unknown) or '(none given)'}; known: {known}")
    return chosen
