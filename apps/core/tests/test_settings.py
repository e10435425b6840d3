"""Production settings: deploy checks pass with a real environment, and refuse without one."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

PRODUCTION_ENV = {
    "ENV": "production",
    "SECRET_KEY": "k3J9-xq2LmP0z7Rw5tYv8uBn4cEa6dFg1hJs3kLq9wEr5tYu7iOp2aSd4fGh6jKl",
    "ALLOWED_HOSTS": "api.clinicops.example,clinicops.up.railway.app",
    "DATABASE_URL": "postgres://clinicops:secret@127.0.0.1:5432/clinicops",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    # Not a secret: a test-only Ed25519 seed (32 bytes of "t").
    "AUDIT_SIGNING_KEY": "dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHR0dHQ=",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    unset = {"ENV", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "AUDIT_SIGNING_KEY"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_passes_at_warning_level_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "AUDIT_SIGNING_KEY"])
def test_production_refuses_to_start_without(missing):
    env = {**PRODUCTION_ENV, missing: ""}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SECRET_KEY", "django-insecure-" + "x" * 60),
        ("SECRET_KEY", "change-me-to-50-random-characters-from-the-command-above-xxxxxxxx"),
        ("SECRET_KEY", "short"),
        ("ALLOWED_HOSTS", "*"),
    ],
)
def test_production_refuses_weak_values(name, value):
    result = manage("check", env={**PRODUCTION_ENV, name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


def test_an_unknown_env_is_refused():
    result = manage("check", env={"ENV": "prod"})
    assert result.returncode != 0
    assert "ENV must be" in result.stderr
