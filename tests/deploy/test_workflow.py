"""The GitHub Actions pipeline: tests gate deploys, staging before an approved
production, no overlapping deploys, no untrusted expressions inside scripts."""

import re
from typing import Any

import pytest
import yaml

from tests.deploy.kit import REPO, WORKFLOW

# Oldest major we accept for each official action: the current one when this was written.
CURRENT_MAJOR = {"actions/checkout": 7, "actions/setup-python": 7}


def workflow() -> dict[Any, Any]:
    # YAML 1.1 reads the key `on` as True.
    data: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    data["on"] = data.pop(True, data.get("on"))
    return data


def steps(job: str) -> list[dict[str, Any]]:
    return list(workflow()["jobs"][job]["steps"])


def test_runs_on_push_and_pull_request_to_main() -> None:
    on = workflow()["on"]
    assert on["push"]["branches"] == ["main"]
    assert on["pull_request"]["branches"] == ["main"]


def test_checks_run_make_targets_against_postgres_and_redis() -> None:
    job = workflow()["jobs"]["checks"]
    assert set(job["strategy"]["matrix"]["target"]) == {"test", "rehearse", "rehearse-replicas", "image-test"}
    assert {"postgres", "redis"} <= set(job["services"])
    assert any(step.get("run", "").startswith('make "$TARGET"') for step in job["steps"])
    makefile = (REPO / "Makefile").read_text()
    for target in job["strategy"]["matrix"]["target"]:
        assert re.search(rf"^{re.escape(target)}:", makefile, flags=re.M), target


def test_pip_cache_is_keyed_on_the_lock_files() -> None:
    setup = next(step for step in steps("checks") if step.get("uses", "").startswith("actions/setup-python@"))
    assert setup["with"]["cache"] == "pip"
    assert setup["with"]["cache-dependency-path"] == "requirements/*.lock"
    assert setup["with"]["python-version"] == "${{ matrix.python }}"
    assert workflow()["env"]["PYTHON_VERSION"] == "3.11"


def test_suite_runs_on_the_lowest_and_highest_accepted_python() -> None:
    matrix = workflow()["jobs"]["checks"]["strategy"]["matrix"]
    versions = set(matrix["python"]) | {row["python"] for row in matrix["include"] if row["target"] == "test"}
    assert versions == {"3.11", "3.13"}
    pyproject = (REPO / "pyproject.toml").read_text()
    assert 'requires-python = ">=3.11,<3.14"' in pyproject


def test_audit_gates_the_deploys() -> None:
    audit = steps("audit")
    assert any(step.get("run") == "make audit" for step in audit)
    assert workflow()["jobs"]["deploy-staging"]["needs"] == ["checks", "audit"]


def test_make_test_covers_lint_types_migrations_and_tests() -> None:
    makefile = (REPO / "Makefile").read_text()
    prerequisites = re.search(r"^test:(.*)$", makefile, flags=re.M)
    assert prerequisites is not None
    assert {"lint", "lint-deploy", "typecheck", "migrations-check", "pytest"} <= set(prerequisites.group(1).split())


def test_staging_deploys_only_from_main_after_the_checks() -> None:
    job = workflow()["jobs"]["deploy-staging"]
    assert set(job["needs"]) == {"checks", "audit"}
    assert job["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert job["environment"]["name"] == "staging"
    assert job["concurrency"] == {"group": "railway-staging", "cancel-in-progress": False}


def test_production_follows_staging_behind_its_environment() -> None:
    job = workflow()["jobs"]["deploy-production"]
    assert job["needs"] == "deploy-staging"
    assert job["environment"]["name"] == "production"
    assert job["concurrency"] == {"group": "railway-production", "cancel-in-progress": False}


@pytest.mark.parametrize("job", ["deploy-staging", "deploy-production"])
def test_deploys_use_the_railway_cli_with_the_environment_token(job: str) -> None:
    deploy = next(step for step in steps(job) if "railway-deploy.sh" in step.get("run", ""))
    assert deploy["env"]["RAILWAY_TOKEN"] == "${{ secrets.RAILWAY_TOKEN }}"
    environment = workflow()["jobs"][job]["environment"]["name"]
    assert deploy["run"] == f"deploy/railway-deploy.sh {environment}"
    script = (REPO / "deploy" / "railway-deploy.sh").read_text()
    assert "railway up --ci" in script
    assert re.fullmatch(r"\d+\.\d+\.\d+", workflow()["env"]["RAILWAY_CLI_VERSION"])


def test_no_expression_inside_a_run_script() -> None:
    for name, job in workflow()["jobs"].items():
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), f"{name}: {step.get('name')}"


def test_official_actions_are_on_their_current_major() -> None:
    used = re.findall(r"uses:\s*([\w-]+/[\w-]+)@(\S+)", WORKFLOW.read_text())
    assert used
    for action, ref in used:
        assert re.fullmatch(r"v\d+", ref), f"{action}@{ref}: use the major tag"
        if action in CURRENT_MAJOR:
            assert int(ref[1:]) >= CURRENT_MAJOR[action], f"{action}@{ref} is behind"


def test_read_only_token_and_queued_runs_on_main() -> None:
    data = workflow()
    assert data["permissions"] == {"contents": "read"}
    assert data["concurrency"]["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"
