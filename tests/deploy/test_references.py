"""Every command in the Dockerfiles, compose files, entrypoint and Railway
configs points at things that exist: modules, settings, scripts, management
commands, requirements files, the Celery app and the health path."""

import importlib
import importlib.util
import re
import shlex
from pathlib import Path

import pytest
from celery import Celery
from django.core.management import get_commands
from django.urls import resolve

from deploy import context, dockerfile
from tests.deploy.kit import (
    COMPOSE,
    DOCKERFILES,
    ENTRYPOINT,
    RAILWAY,
    REPO,
    compose,
    entrypoint_roles,
    image_start,
    repo_path,
    role_commands,
)

DEPLOY_FILES = [*DOCKERFILES.values(), *COMPOSE.values(), *RAILWAY.values(), ENTRYPOINT]
IMAGE_DOCKERFILES = [DOCKERFILES["root"], DOCKERFILES["prod"]]


def _texts() -> list[tuple[Path, str]]:
    return [(path, path.read_text()) for path in DEPLOY_FILES]


def _import_target(target: str) -> object:
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


# --- generic references, found by shape in every deployment file -------------


def test_every_module_attribute_reference_imports() -> None:
    found = 0
    for path, text in _texts():
        for target in re.findall(r"\b([a-z_][\w]*(?:\.[a-z_]\w*)+:[A-Za-z_]\w*)\b", text):
            assert _import_target(target) is not None, f"{path.name}: {target}"
            found += 1
    assert found >= 2  # the WSGI application in both places at least


def test_every_manage_py_command_exists() -> None:
    commands = get_commands()
    found = set()
    for path, text in _texts():
        for name in re.findall(r"manage\.py\s+([a-z_]+)", text):
            assert name in commands, f"{path.name}: manage.py {name}"
            found.add(name)
    assert {"setup_periodic_tasks", "collectstatic"} <= found
    assert {"migrate", "migrate_safely"} & found  # the release role migrates with a lock timeout


def test_every_celery_app_reference_is_a_celery_app() -> None:
    found = 0
    for path, text in _texts():
        for name in re.findall(r"celery\s+-A\s+([\w.]+)", text):
            module = importlib.import_module(name)
            app = getattr(module, "app", None) or importlib.import_module(f"{name}.celery").app
            assert isinstance(app, Celery), f"{path.name}: -A {name}"
            found += 1
    assert found >= 3  # worker, beat, compose's worker health check


def test_every_file_path_mentioned_exists() -> None:
    found = 0
    for path, text in _texts():
        for candidate in re.findall(r"(?<![\w./:-])((?:/app/|[\w-]+/)[\w./-]*\.(?:py|sh|txt|toml))\b", text):
            assert repo_path(candidate).is_file(), f"{path.name}: {candidate}"
            found += 1
    assert found >= 8


def test_settings_modules_named_exist() -> None:
    for path, text in _texts():
        for module in re.findall(r"DJANGO_SETTINGS_MODULE=([\w.]+)", text):
            assert importlib.util.find_spec(module) is not None, f"{path.name}: {module}"


def test_health_path_everywhere_is_the_health_view() -> None:
    sources = [*_texts(), (REPO / "docker" / "healthcheck.py", (REPO / "docker" / "healthcheck.py").read_text())]
    paths = {p for _, text in sources for p in re.findall(r"[\"'](/health[^\"']*)[\"']", text)}
    assert paths == {"/health/"}
    assert resolve("/health/").url_name == "health"


# --- Dockerfiles ----------------------------------------------------------------


def test_root_and_prod_images_differ_only_in_how_they_start() -> None:
    def recipe(path: Path) -> list[tuple[str, str]]:
        return [(i.keyword, i.value) for i in dockerfile.parse(path) if i.keyword not in {"CMD", "ENTRYPOINT"}]

    assert recipe(DOCKERFILES["root"]) == recipe(DOCKERFILES["prod"])


@pytest.mark.parametrize("path", list(DOCKERFILES.values()), ids=list(DOCKERFILES))
def test_copy_sources_and_requirements_exist(path: Path) -> None:
    build_context = set(context.files(REPO))
    for instruction in dockerfile.parse(path):
        if instruction.keyword in {"COPY", "ADD"} and "--from=" not in instruction.value:
            source = shlex.split(instruction.value)[0].rstrip("/")
            if source != ".":
                assert any(f == source or f.startswith(source + "/") for f in build_context), source
        for requirements in re.findall(r"-r\s+(\S+\.(?:txt|lock))", instruction.value):
            # The dev image copies requirements/ to a scratch directory first.
            assert (REPO / "requirements" / Path(requirements).name).is_file(), requirements


def test_requirement_includes_resolve() -> None:
    for path in (REPO / "requirements").glob("*.txt"):
        for included in re.findall(r"^-r\s+(\S+)", path.read_text(), flags=re.M):
            assert (path.parent / included).is_file(), f"{path.name} includes {included}"


@pytest.mark.parametrize("path", IMAGE_DOCKERFILES, ids=["root", "prod"])
def test_production_images_are_multi_stage_pinned_and_unprivileged(path: Path) -> None:
    stages = dockerfile.stages(path)
    assert len(stages) >= 2
    for stage in stages:
        image = stage[0].value.split()[0]
        assert re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+[\w.-]*", image), f"unpinned base image {image}"
    user = dockerfile.user(path)
    assert user is not None
    assert user.split(":")[0] not in {"root", "0"}
    env = dockerfile.env(path)
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["ENV"] == "production"
    assert importlib.util.find_spec(env["DJANGO_SETTINGS_MODULE"]) is not None
    assert (REPO / "config" / "settings" / f"{env['ENV']}.py").is_file()
    exposed = [i.value for i in dockerfile.final_stage(path) if i.keyword == "EXPOSE"]
    assert exposed == [env["PORT"]]
    # No build toolchain and no pip in the runtime stage: it copies what the builder made.
    runtime_runs = " ".join(dockerfile.run_commands(path))
    assert not re.search(r"build-essential|gcc|-dev\b|pip ", runtime_runs)
    copies = [i.value for i in dockerfile.final_stage(path) if i.keyword == "COPY" and "--from=builder" in i.value]
    assert any("/opt/venv" in c for c in copies)
    assert any("staticfiles" in c for c in copies)
    builder_runs = [i.value for i in stages[0] if i.keyword == "RUN"]
    collect = next(run for run in builder_runs if "collectstatic" in run)
    assert "ENV=production" in collect
    install = next(run for run in builder_runs if " install " in run)
    assert "--no-index" in install
    # Only what the hashed production lock names, verified file by file.
    wheels = next(run for run in builder_runs if "pip wheel" in run)
    for command in (wheels, install):
        assert "--require-hashes" in command
        assert "-r requirements/production.lock" in command
    assert "--only-binary :all:" in wheels
    sbom = next(run for run in builder_runs if "cyclonedx-py" in run)
    assert "--require-hashes" in sbom
    assert "-r requirements/sbom.lock" in sbom
    assert "/opt/venv/sbom.cdx.json" in sbom


@pytest.mark.parametrize("path", IMAGE_DOCKERFILES, ids=["root", "prod"])
def test_healthcheck_runs_the_health_probe_script(path: Path) -> None:
    check = dockerfile.healthcheck(path)
    assert check is not None
    assert check.command[0] == "python"
    assert repo_path(check.command[1]) == REPO / "docker" / "healthcheck.py"
    interval = dockerfile.duration_seconds(check.options["interval"])
    timeout = dockerfile.duration_seconds(check.options["timeout"])
    assert timeout < interval
    assert int(check.options["retries"]) >= 2


def test_root_image_starts_gunicorn_with_the_config_file_and_wsgi_app() -> None:
    argv = dockerfile.cmd(DOCKERFILES["root"])
    assert argv[0] == "gunicorn"
    assert (REPO / argv[argv.index("--config") + 1]).is_file()
    assert callable(_import_target(argv[-1]))


# --- entrypoint and compose ---------------------------------------------------------


def test_entrypoint_web_role_starts_what_the_root_image_starts() -> None:
    web = role_commands("web")
    assert web[-1][0] == "exec"
    assert web[-1][1:-1] == dockerfile.cmd(DOCKERFILES["root"])  # then "$@"
    steps = [" ".join(command) for command in web]
    assert steps.index("python manage.py migrate_safely --noinput") < steps.index(
        "python manage.py setup_periodic_tasks"
    )


def test_entrypoint_waits_for_services_before_every_role_that_needs_them() -> None:
    for role in ("web", "release", "worker", "beat", "dev"):
        assert role_commands(role)[0][:2] == ["python", "docker/wait_for_services.py"], role
    assert "*" in entrypoint_roles()  # any other command runs as given


def test_entrypoint_celery_roles() -> None:
    assert role_commands("worker")[-1][:5] == ["exec", "celery", "-A", "config", "worker"]
    assert role_commands("beat")[-1][:5] == ["exec", "celery", "-A", "config", "beat"]
    from django.conf import settings

    assert settings.CELERY_BEAT_SCHEDULER == "django_celery_beat.schedulers:DatabaseScheduler"
    assert _import_target(settings.CELERY_BEAT_SCHEDULER) is not None


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_compose_services_run_known_roles_of_their_image(name: str) -> None:
    roles = set(entrypoint_roles()) - {"*"}
    for service, spec in compose(name)["services"].items():
        if "build" not in spec:
            continue
        built = REPO / spec["build"]["context"] / spec["build"]["dockerfile"]
        assert built.is_file(), service
        argv = image_start(built, spec.get("command"))
        assert repo_path(argv[0]) == ENTRYPOINT, service
        assert argv[1] in roles, f"{service}: {argv[1]}"
        for env_file in [spec["env_file"]] if isinstance(spec["env_file"], str) else spec["env_file"]:
            assert (REPO / f"{env_file}.example").is_file(), f"{service}: no template for {env_file}"


def test_compose_prod_matches_the_issue() -> None:
    services = compose("prod")["services"]
    assert {"db", "redis", "backend", "celery", "celery-beat"} <= set(services)
    assert services["db"]["volumes"][0].split(":")[0] in compose("prod")["volumes"]
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert "ping" in services["redis"]["healthcheck"]["test"]
    for name, spec in services.items():
        assert spec["restart"] == "always", name
        for dependency in spec.get("depends_on", {}).values():
            assert dependency["condition"] == "service_healthy", name
    for name in ("backend", "celery", "celery-beat"):
        assert services[name]["env_file"] == ".env.prod"
        assert {"db", "redis"} <= set(services[name]["depends_on"])
    assert services["backend"]["command"] == ["web"]
    assert services["celery"]["command"] == ["worker"]
    assert services["celery-beat"]["command"] == ["beat"]


def test_compose_dev_has_the_local_stack() -> None:
    services = compose("dev")["services"]
    assert {"db", "redis", "backend", "celery", "celery-beat", "mailpit"} <= set(services)
    assert ".:/app" in services["backend"]["volumes"]
    assert services["backend"]["command"] == ["dev"]
