"""The env templates cover every variable the code reads, hold no real
secrets, work as production input, and stay tracked while real .env files
stay out of git and out of images."""

import base64
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from deploy import context
from tests.deploy.kit import ENTRYPOINT, REPO, compose

SETTINGS_DIR = REPO / "config" / "settings"
TEMPLATES = {"prod": REPO / ".env.prod.example", "dev": REPO / ".env.dev.example"}


def settings_variables() -> set[str]:
    """Every NAME in config("NAME", ...) across config/settings/*.py."""
    names: set[str] = set()
    for path in SETTINGS_DIR.glob("*.py"):
        names |= set(re.findall(r"\bconfig\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']", path.read_text()))
    return names


def other_variables() -> set[str]:
    """Names read outside the settings: Gunicorn's config, the entrypoint, the compose db service."""
    gunicorn = (REPO / "config" / "gunicorn.conf.py").read_text()
    names = set(re.findall(r"environ\.get\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']", gunicorn))
    names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", ENTRYPOINT.read_text()))
    for name in ("dev", "prod"):
        for test in [s.get("healthcheck", {}).get("test", []) for s in compose(name)["services"].values()]:
            names |= set(re.findall(r"\$\$\{([A-Z][A-Z0-9_]*)\}", " ".join(test)))
    return names


def template(name: str) -> dict[str, tuple[str, bool]]:
    """NAME -> (value, is set). ``# NAME=value`` lines are optional ones, shown with their default."""
    entries: dict[str, tuple[str, bool]] = {}
    for line in TEMPLATES[name].read_text().splitlines():
        if match := re.match(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$", line):
            entries[match.group(2)] = (match.group(3), match.group(1) is None)
    return entries


def test_the_settings_read_a_plausible_number_of_variables() -> None:
    # Guards the scan itself: a broken regex would make the next test pass vacuously.
    names = settings_variables()
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "ENV"} <= names
    assert len(names) >= 30


def test_prod_template_names_every_variable_the_settings_read() -> None:
    missing = settings_variables() - set(template("prod"))
    assert not missing, f"add to .env.prod.example: {sorted(missing)}"


def test_prod_template_names_gunicorn_and_entrypoint_variables() -> None:
    missing = (other_variables() - {"HOSTNAME"}) - set(template("prod"))
    assert not missing, f"add to .env.prod.example: {sorted(missing)}"


@pytest.mark.parametrize("name", ["prod", "dev"])
def test_templates_name_nothing_the_code_does_not_read(name: str) -> None:
    known = settings_variables() | other_variables() | {"POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD"}
    stale = set(template(name)) - known
    assert not stale, f"{TEMPLATES[name].name} names variables nothing reads: {sorted(stale)}"


def test_prod_template_has_no_real_secrets() -> None:
    entries = template("prod")
    for name in ("SECRET_KEY", "JWT_SIGNING_KEY", "AUDIT_SIGNING_KEY", "POSTGRES_PASSWORD", "EMAIL_HOST_PASSWORD"):
        value, is_set = entries[name]
        assert is_set, name
        assert value.startswith("change-me"), f"{name} must be an obvious placeholder"
    assert "change-me" in entries["DATABASE_URL"][0]
    assert entries["ENV"] == ("production", True)


def test_prod_template_database_url_matches_the_db_service_credentials() -> None:
    entries = template("prod")
    user, password, db = (entries[n][0] for n in ("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"))
    assert entries["DATABASE_URL"][0] == f"postgres://{user}:{password}@db:5432/{db}"


def test_prod_template_values_load_production_settings() -> None:
    """Every value set (and every optional default shown) parses; only the secrets are swapped."""
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings"}
    for name, (value, _) in template("prod").items():
        env[name] = re.split(r"\s{2,}\(", value)[0].strip()  # drop "(default: ...)" notes
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    env["JWT_SIGNING_KEY"] = secrets.token_urlsafe(50)
    env["AUDIT_SIGNING_KEY"] = base64.b64encode(secrets.token_bytes(32)).decode()
    code = (
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.DEBUG, settings.SECURE_SSL_REDIRECT, settings.ALLOWED_HOSTS)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[:2] == ["False", "True"]


@pytest.mark.parametrize(
    ("path", "ignored"),
    [
        (".env", True),
        (".env.prod", True),
        (".env.dev", True),
        (".env.staging", True),
        (".env.prod.example", False),
        (".env.dev.example", False),
    ],
)
def test_gitignore_keeps_real_env_files_out_and_templates_in(path: str, ignored: bool) -> None:
    result = subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO, check=False)
    assert (result.returncode == 0) is ignored


@pytest.mark.parametrize(
    ("path", "excluded"),
    [
        (".env", True),
        (".env.prod", True),
        (".env.prod.example", True),
        (".git/config", True),
        (".venv/bin/python", True),
        ("apps/core/__pycache__/x.cpython-311.pyc", True),
        ("apps/clinics/tests/test_api.py", True),
        ("tests/deploy/test_env.py", True),
        ("db.sqlite3", True),
        ("manage.py", False),
        ("config/settings/production.py", False),
        ("apps/core/health.py", False),
        ("docker/healthcheck.py", False),
        ("entrypoint.sh", False),
        ("requirements/production.txt", False),
    ],
)
def test_dockerignore(path: str, excluded: bool) -> None:
    assert context.is_excluded(path, context.load_rules(REPO)) is excluded


def test_build_context_holds_what_the_image_needs() -> None:
    files = set(context.files(REPO))
    assert {"manage.py", "entrypoint.sh", "docker/healthcheck.py", "docker/wait_for_services.py"} <= files
    assert not any(Path(f).name.startswith(".env") for f in files)
