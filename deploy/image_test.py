"""The real images, built and run: make image-test

Builds the root Dockerfile (what Railway runs) and docker/prod/Dockerfile (what
compose.prod.yml runs) with the legacy builder and host networking, then runs
them against PostgreSQL and Redis on this machine:
  * root image the Railway way: railway.toml's pre-deploy command, then the
    image's own CMD; its HEALTHCHECK must turn healthy, as a non-root user;
  * prod image the compose way: web, worker and Beat from one image with
    compose.prod.yml's read-only root filesystem; a JWT login, a patient
    create and a Beat task executed by the worker container.
Reports image sizes (goal: under 250 MB on the local stand-in base).

The engine: one already reachable (DOCKER_HOST, a CI runner's), else
../shared/tools/local-docker.sh, which is started here and stopped at the end.
With --allow-no-engine a machine where no engine can start gets a loud SKIP
and exit 0 instead of a failure (the host rehearsal still covers the commands).
"""

import argparse
import base64
import os
import secrets
import shlex
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

import yaml

from deploy import dockerfile, probes, sbom
from deploy.harness import Report, StepFailed, free_port, run, temporary_database, wait_until

REPO = Path(__file__).resolve().parents[1]
LOCAL_DOCKER = Path(os.environ.get("LOCAL_DOCKER", REPO.parent / "shared" / "tools" / "local-docker.sh"))
IMAGES = {
    "root": ("Dockerfile", "clinicops:image-test-root"),
    "prod": ("docker/prod/Dockerfile", "clinicops:image-test"),
}
SIZE_GOAL_MB = 250  # the goal on the local stand-in base (166 MB; the official one is ~130 MB)
# A regression guard, not the goal, set above the measured size: 376 MB with
# Babel, 342 MB once OpenTelemetry left the default image (TRACING=1 adds it)
# and Babel's CLDR data was trimmed to the clinics' locales, with the 5 MB CJK
# font in. Still in: fpdf2's fontTools and Pillow (~50 MB), cryptography for
# the audit signatures, sentry-sdk.
# A toolchain or a wheel cache slipping into the runtime stage adds 100 MB+.
# Every run prints how far the goal is.
SIZE_LIMIT_MB = int(os.environ.get("IMAGE_SIZE_LIMIT_MB", "355"))
REDIS_URL = os.environ.get("DEPLOY_CHECK_REDIS_URL", "redis://127.0.0.1:6379/9")


class Docker:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.containers: list[str] = []

    def __call__(self, *args: str, timeout: float = 120) -> str:
        return run(["docker", *args], env=self.env, timeout=timeout).stdout.strip()

    def ok(self, *args: str) -> bool:
        result = subprocess.run(["docker", *args], env=self.env, capture_output=True, timeout=60, check=False)
        return result.returncode == 0

    def start(self, name: str, image: str, env_file: Path, *args: str, options: Sequence[str] = ()) -> str:
        self.containers.append(name)
        self(
            "run", "--detach", "--name", name, "--network", "host", "--env-file", str(env_file), *options, image, *args
        )
        return name

    def health(self, name: str) -> str:
        return self("inspect", "--format", "{{if .State.Health}}{{.State.Health.Status}}{{end}}", name)

    def logs(self, name: str) -> str:
        result = subprocess.run(
            ["docker", "logs", name], env=self.env, capture_output=True, text=True, timeout=60, check=False
        )
        return result.stdout + result.stderr

    def remove_all(self) -> None:
        for name in self.containers:
            self.ok("rm", "--force", name)


@contextmanager
def engine(report: Report, allow_missing: bool) -> Iterator[dict[str, str] | None]:
    """A Docker environment; yields None when there is none and that is allowed."""
    env = dict(os.environ)
    started_here = False
    if subprocess.run(["docker", "info"], env=env, capture_output=True, check=False).returncode != 0:
        if LOCAL_DOCKER.exists():
            status = subprocess.run(["bash", str(LOCAL_DOCKER), "status"], capture_output=True, text=True, check=False)
            already_running = status.stdout.startswith("running")
            result = subprocess.run(["bash", str(LOCAL_DOCKER), "start"], capture_output=True, text=True, check=False)
            for line in result.stdout.splitlines():
                if line.startswith("export DOCKER_HOST="):
                    env["DOCKER_HOST"] = line.split("=", 1)[1]
            started_here = result.returncode == 0 and not already_running
            if result.returncode != 0:
                report.note(result.stderr.strip()[-1500:])
        if subprocess.run(["docker", "info"], env=env, capture_output=True, check=False).returncode != 0:
            if allow_missing:
                print("!" * 78)
                print("!! SKIPPED: no Docker engine could be started here, so the real images were")
                print("!! neither built nor run. The host rehearsal (make rehearse) still ran.")
                print("!" * 78, flush=True)
                yield None
                return
            report.check("a Docker engine is available", False, f"docker info fails; no {LOCAL_DOCKER}")
            raise StepFailed("engine")
    report.note(f"engine: {env.get('DOCKER_HOST', 'default socket')}{' (started here)' if started_here else ''}")
    try:
        yield env
    finally:
        if started_here:  # only an engine this run started is stopped
            subprocess.run(["bash", str(LOCAL_DOCKER), "stop"], capture_output=True, check=False)
            report.note("engine stopped")


def build(report: Report, docker: Docker) -> None:
    for key, (path, tag) in IMAGES.items():
        started = time.monotonic()
        with report.timed(f"build {path}"):
            run(
                ["docker", "build", "--network", "host", "--file", path, "--tag", tag, "."],
                env=docker.env | {"DOCKER_BUILDKIT": "0"},
                cwd=REPO,
                timeout=1500,
            )
        size_mb = int(docker("image", "inspect", "--format", "{{.Size}}", tag)) / 1e6
        goal = (
            "goal met"
            if size_mb < SIZE_GOAL_MB
            else f"goal of {SIZE_GOAL_MB} MB missed by {size_mb - SIZE_GOAL_MB:.0f} MB"
        )
        report.check(
            f"{path} builds; image under the {SIZE_LIMIT_MB} MB limit",
            size_mb < SIZE_LIMIT_MB,
            f"{tag}: {size_mb:.0f} MB ({goal}), built in {time.monotonic() - started:.0f}s",
        )
        inspection = docker("run", "--rm", "--entrypoint", "python", tag, "-c", sbom.INSPECT)
        report.check(
            f"{path}: CycloneDX SBOM lists every installed package at its locked version",
            *sbom.verify_inspection(inspection),
        )
        if key == "root":
            base = dockerfile.stages(REPO / path)[-1][0].value.split()[0]
            base_mb = int(docker("image", "inspect", "--format", "{{.Size}}", base)) / 1e6
            report.note(f"base {base}: {base_mb:.0f} MB, so ClinicOps adds {size_mb - base_mb:.0f} MB")
    # The legacy builder leaves each builder stage behind as a dangling image.
    pruned = docker("image", "prune", "--force", "--filter", "dangling=true")
    report.note(pruned.splitlines()[-1] if pruned else "nothing to prune")


def env_file(directory: Path, values: dict[str, str]) -> Path:
    """Secrets go to the container through a 0600 file, not the command line."""
    path = directory / f"env-{secrets.token_hex(3)}"
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    path.chmod(0o600)
    return path


def wait_healthy(docker: Docker, name: str) -> tuple[bool, str]:
    check = dockerfile.healthcheck(REPO / IMAGES["root"][0])
    assert check is not None
    interval = dockerfile.duration_seconds(check.options["interval"])
    budget = dockerfile.duration_seconds(check.options["start-period"]) + 3 * interval
    started = time.monotonic()
    healthy = wait_until(lambda: docker.health(name) == "healthy", budget, interval=1)
    state = docker.health(name)
    return healthy, f"{state} after {time.monotonic() - started:.0f}s (HEALTHCHECK every {interval:.0f}s)"


def non_root(docker: Docker, name: str) -> tuple[bool, str]:
    rows = docker("top", name, "-o", "pid,uid,comm").splitlines()[1:]
    users = {line.split()[1] for line in rows if line.strip()}
    return bool(users) and "0" not in users and "root" not in users, f"process uids {sorted(users)}"


def railway_way(report: Report, docker: Docker, base_env: dict[str, str], scratch: Path) -> None:
    """Root image: the pre-deploy command, then the image's own CMD, as Railway does it."""
    image = IMAGES["root"][1]
    port = free_port()
    values = env_file(scratch, base_env | {"PORT": str(port)})
    for command in tomllib.loads((REPO / "railway.toml").read_text())["deploy"]["preDeployCommand"]:
        name = f"clinicops-it-release-{secrets.token_hex(3)}"
        docker.containers.append(name)
        result = subprocess.run(
            ["docker", "run", "--name", name, "--network", "host", "--env-file", str(values), image,
             *shlex.split(command)],
            env=docker.env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        count = "from django_celery_beat.models import PeriodicTask; print(PeriodicTask.objects.count())"
        rows = docker("run", "--rm", "--network", "host", "--env-file", str(values), image,
                      "python", "manage.py", "shell", "-c", count).split()[-1]  # fmt: skip
        report.check(
            "root image: railway.toml pre-deploy command migrates and writes the Beat schedule",
            result.returncode == 0 and rows.isdigit() and int(rows) > 0,
            f"{command}: exit {result.returncode}; {rows} periodic tasks",
        )
    web = docker.start(f"clinicops-it-railway-{secrets.token_hex(3)}", image, values)
    report.check("root image: HEALTHCHECK turns healthy", *wait_healthy(docker, web))
    report.check("root image: runs as a non-root user", *non_root(docker, web))
    ok, detail = probes.plain_http_redirects(port)
    report.check("root image: plain HTTP redirected, /health/ exempt", ok, detail)
    docker("stop", "--time", "30", web, timeout=60)
    code = docker("inspect", "--format", "{{.State.ExitCode}}", web)
    report.check("root image: docker stop (SIGTERM) ends Gunicorn with exit 0", code == "0", f"exit {code}")


def compose_way(report: Report, docker: Docker, base_env: dict[str, str], scratch: Path, redis_url: str) -> None:
    """Prod image: web, worker and Beat from one image, hardened like compose.prod.yml."""
    image = IMAGES["prod"][1]
    spec = yaml.safe_load((REPO / "compose.prod.yml").read_text())["services"]
    port = free_port()
    values = env_file(scratch, base_env | {"PORT": str(port)})
    options: list[str] = []
    if spec["backend"].get("read_only"):
        options += ["--read-only"] + [f"--tmpfs={path}" for path in spec["backend"].get("tmpfs", [])]
    suffix = secrets.token_hex(3)
    web = docker.start(f"clinicops-it-web-{suffix}", image, values, *spec["backend"]["command"], options=options)
    healthy, detail = wait_healthy(docker, web)
    report.check("prod image (compose web role): HEALTHCHECK turns healthy, read-only root", healthy, detail)
    if not healthy:
        report.note(docker.logs(web)[-3000:])
        raise StepFailed("web")
    report.check("prod image: runs as a non-root user", *non_root(docker, web))
    worker = docker.start(f"clinicops-it-worker-{suffix}", image, values, *spec["celery"]["command"], options=options)
    beat = docker.start(f"clinicops-it-beat-{suffix}", image, values, *spec["celery-beat"]["command"], options=options)

    credentials = probes.Credentials.new()
    probe_env = [f"--env={k}={v}" for k, v in credentials.env().items()]
    docker("exec", *probe_env, web, "python", "manage.py", "shell", "-c", probes.CREATE_USER)
    access, detail = probes.login(port, credentials)
    report.check("prod image: JWT login", access is not None, detail)
    if access:
        ok, detail, records = probes.create_clinic_and_patient(port, access)
        report.check("prod image: clinic create, then patient create", ok, detail)
        if records:
            report.check(
                "prod image: invoice PDF renders with the image's DejaVu and CJK fonts",
                *probes.invoice_pdf(port, access, records),
            )
    report.check("prod image: security headers over X-Forwarded-Proto https", *probes.security_headers(port))

    docker("exec", web, "python", "manage.py", "shell", "-c", probes.SCHEDULE_EVERY_SECOND)
    wait_until(lambda: probes.beat_task_executed(lambda: docker.logs(worker), redis_url)[0], 60, interval=2)
    ok, detail = probes.beat_task_executed(lambda: docker.logs(worker), redis_url)
    report.check("prod image: worker container executes the task Beat sends", ok, detail)
    docker("exec", web, "python", "manage.py", "shell", "-c", probes.UNSCHEDULE)
    # compose.prod.yml's health check for the worker, run as compose would ($$ is a literal $).
    kind, *test = spec["celery"]["healthcheck"]["test"]
    argv = ["sh", "-c", test[0].replace("$$", "$")] if kind == "CMD-SHELL" else test
    pinged = subprocess.run(
        ["docker", "exec", worker, *argv], env=docker.env, capture_output=True, text=True, check=False
    )
    report.check("prod image: compose's worker health check passes", pinged.returncode == 0, " ".join(argv[-1:]))
    if not ok:
        report.note(docker.logs(worker)[-2000:])
        report.note(docker.logs(beat)[-2000:])

    for name in (web, worker, beat):
        docker("stop", "--time", "30", name, timeout=60)
    codes = {
        name.split("-")[2]: docker("inspect", "--format", "{{.State.ExitCode}}", name) for name in (web, worker, beat)
    }
    report.check("prod image: web, worker and Beat stop cleanly on SIGTERM", set(codes.values()) == {"0"}, str(codes))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--allow-no-engine", action="store_true", help="skip loudly, exit 0, when no engine starts")
    args = parser.parse_args(argv)
    report = Report("image test (real images)")
    try:
        with ExitStack() as stack:
            env = stack.enter_context(engine(report, args.allow_no_engine))
            if env is None:
                return 0
            docker = Docker(env)
            stack.callback(docker.remove_all)
            scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="clinicops-image-test-")))
            build(report, docker)
            database_url = stack.enter_context(temporary_database("clinicops_image_test"))
            base_env = {
                "SECRET_KEY": secrets.token_urlsafe(50),
                "JWT_SIGNING_KEY": secrets.token_urlsafe(50),
                "AUDIT_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
                "ALLOWED_HOSTS": "localhost,127.0.0.1",
                "DATABASE_URL": database_url,
                "REDIS_URL": REDIS_URL,
                "WEB_CONCURRENCY": "2",
                "WAIT_FOR_SERVICES_TIMEOUT": "30",
            }
            railway_way(report, docker, base_env, scratch)
            compose_way(report, docker, base_env, scratch, REDIS_URL)
    except StepFailed:
        pass
    except Exception as exc:  # reported like any failure, after everything was stopped
        report.check("image test finished", False, f"{type(exc).__name__}: {exc}")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
