"""railway.toml and its worker/Beat siblings say what docs/deploy.md promises."""

import runpy

import pytest
from django.urls import resolve

from apps.core.views import health
from deploy import dockerfile
from tests.deploy.kit import DOCKERFILES, REPO, entrypoint_roles, railway, repo_path, role_commands


def gunicorn_graceful_timeout(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.delenv("GUNICORN_GRACEFUL_TIMEOUT", raising=False)
    return int(runpy.run_path(str(REPO / "config" / "gunicorn.conf.py"))["graceful_timeout"])


@pytest.mark.parametrize("service", ["web", "worker", "beat"])
def test_every_service_builds_the_root_dockerfile(service: str) -> None:
    build = railway(service)["build"]
    assert build["builder"] == "DOCKERFILE"
    assert (REPO / build["dockerfilePath"]).resolve() == DOCKERFILES["root"]


def test_web_health_check_is_the_health_endpoint_with_a_timeout() -> None:
    deploy = railway("web")["deploy"]
    assert deploy["healthcheckPath"] == "/health/"
    assert resolve(deploy["healthcheckPath"]).func is health
    assert isinstance(deploy["healthcheckTimeout"], int)
    assert 30 <= deploy["healthcheckTimeout"] <= 300


def test_web_restarts_on_failure_with_a_bound() -> None:
    deploy = railway("web")["deploy"]
    assert deploy["restartPolicyType"] in {"ON_FAILURE", "ALWAYS"}
    assert isinstance(deploy["restartPolicyMaxRetries"], int)
    assert deploy["restartPolicyMaxRetries"] > 0


def test_pre_deploy_runs_migrations_then_the_beat_schedule() -> None:
    commands = railway("web")["deploy"]["preDeployCommand"]
    assert isinstance(commands, list)
    assert commands
    argv = [part for command in commands for part in command.split()]
    assert repo_path(argv[0]) == REPO / "entrypoint.sh"
    role = argv[1]
    steps = [" ".join(command) for command in role_commands(role)]
    migrate = next(i for i, step in enumerate(steps) if step.startswith("python manage.py migrate"))
    periodic = next(i for i, step in enumerate(steps) if step == "python manage.py setup_periodic_tasks")
    assert migrate < periodic
    # It ends: a pre-deploy command that started a server would never finish.
    assert not any(step.startswith(("exec ", "gunicorn", "celery")) for step in steps)


def test_web_start_command_is_the_dockerfile_cmd_not_an_override() -> None:
    assert "startCommand" not in railway("web")["deploy"]
    assert dockerfile.cmd(DOCKERFILES["root"])[0] == "gunicorn"


def test_drain_time_covers_gunicorns_graceful_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    draining = railway("web")["deploy"]["drainingSeconds"]
    # Railway's parser rejects the string form its own docs once showed.
    assert isinstance(draining, int)
    assert draining >= gunicorn_graceful_timeout(monkeypatch) + 5


@pytest.mark.parametrize("service", ["worker", "beat"])
def test_worker_and_beat_run_their_role_without_web_only_settings(service: str) -> None:
    deploy = railway(service)["deploy"]
    program, role = deploy["startCommand"].split()
    assert repo_path(program) == REPO / "entrypoint.sh"
    assert role == service
    assert role in entrypoint_roles()
    # They serve no HTTP and must not migrate a second time.
    assert "healthcheckPath" not in deploy
    assert "preDeployCommand" not in deploy
    assert isinstance(deploy["drainingSeconds"], int)
