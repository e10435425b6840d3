"""The supply chain: hashed lock files that cannot go stale unnoticed, installs
only from them, the runtime apart from the tools, the SBOM check, the hooks."""

import re
import shutil
from pathlib import Path

import pytest

from deploy import locks, sbom
from tests.deploy.kit import DOCKERFILES, REPO

MAKEFILE = (REPO / "Makefile").read_text()


def recipe(target: str) -> list[str]:
    block = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)*)", MAKEFILE, flags=re.M)
    assert block is not None, target
    return [line.strip().lstrip("@") for line in block.group(1).splitlines()]


def prerequisites(target: str) -> list[str]:
    line = re.search(rf"^{re.escape(target)}:(.*)$", MAKEFILE, flags=re.M)
    assert line is not None, target
    return line.group(1).split()


def test_the_committed_locks_are_current_and_hashed() -> None:
    for lock in locks.LOCKS:
        assert locks.problems(lock) == [], lock.name


@pytest.fixture
def scratch_requirements(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "requirements"
    shutil.copytree(locks.REQUIREMENTS, copy)
    monkeypatch.setattr(locks, "REQUIREMENTS", copy)
    return copy


def test_a_pin_added_without_make_lock_is_stale(scratch_requirements: Path) -> None:
    base = scratch_requirements / "base.txt"
    base.write_text(base.read_text() + "somepackage==1.2.3\n")
    stale = {lock.name: locks.problems(lock) for lock in locks.LOCKS}
    assert any("somepackage==1.2.3" in problem for problem in stale["production"])
    assert stale["development"]  # it includes base.txt through production.txt
    assert stale["checkov"] == []  # checkov.txt does not include base.txt
    assert locks.main(["locks", "check"]) == 1


def test_a_bumped_pin_and_an_edited_input_are_stale(scratch_requirements: Path) -> None:
    production = scratch_requirements / "production.txt"
    text = production.read_text()
    version = re.search(r"^gunicorn==(\S+)$", text, flags=re.M)
    assert version is not None
    production.write_text(text.replace(f"gunicorn=={version.group(1)}", "gunicorn==0.0.1"))
    (problem,) = locks.problems(locks.LOCKS[0])
    assert "gunicorn==0.0.1" in problem
    production.write_text(text + "# a comment changes the inputs too\n")
    (problem,) = locks.problems(locks.LOCKS[0])
    assert "other inputs" in problem


def test_an_entry_without_hashes_is_refused(scratch_requirements: Path) -> None:
    lock = scratch_requirements / "bootstrap.lock"
    lines = [line for line in lock.read_text().splitlines(True) if "--hash=" not in line]
    lock.write_text("".join(line.replace(" \\", "") for line in lines))
    assert any("without hashes" in problem for problem in locks.problems(locks.LOCKS[-1]))


def test_make_test_checks_the_locks_first_and_installs_the_development_lock() -> None:
    assert prerequisites("test")[0] == "lock-check"
    installed = re.search(r"^\$\(VENV\)/\.installed:(.*)$", MAKEFILE, flags=re.M)
    assert installed is not None
    assert "requirements/development.lock" in installed.group(1)
    assert any("-r requirements/development.lock" in line for line in recipe("$(VENV)/.installed"))
    assert "--require-hashes" in MAKEFILE.split("UV_INSTALL =", 1)[1].splitlines()[0]


def test_make_run_installs_the_runtime_lock_only_and_says_so() -> None:
    assert "install" not in prerequisites("run")
    assert "install-runtime" in prerequisites("run")
    lines = recipe("$(VENV)/.runtime")
    assert any(line.startswith("echo ") and "production.lock" in line for line in lines)
    assert any("-r requirements/production.lock" in line for line in lines)
    assert not any("development" in line or "bench" in line for line in lines)


def test_benchmark_tools_are_installed_by_make_bench_only() -> None:
    bench = set(locks.pins((REPO / "requirements" / "bench.txt").read_text()))
    development = locks.pins((REPO / "requirements" / "development.lock").read_text())
    production = locks.pins((REPO / "requirements" / "production.lock").read_text())
    assert {"orjson", "matplotlib", "granian", "py-spy"} <= bench
    assert not bench & (set(development) | set(production))
    for target in ("bench", "bench-patients", "bench-scheduling", "bench-billing"):
        assert prerequisites(target) == ["$(VENV)/.bench"], target
    # What the rest of the code imports is in the development lock: only bench/ imports the bench tools.
    for path in [*REPO.glob("apps/**/*.py"), *REPO.glob("config/**/*.py"), *REPO.glob("tests/**/*.py")]:
        assert not re.search(r"^\s*(?:import|from)\s+(orjson|matplotlib|granian)\b", path.read_text(), re.M), path


def test_the_dev_image_installs_the_development_lock_with_hashes() -> None:
    text = DOCKERFILES["dev"].read_text()
    assert "--require-hashes -r /tmp/requirements/development.lock" in text


def test_sbom_check_fails_on_a_missing_or_wrong_component() -> None:
    locked = locks.pins((REPO / "requirements" / "production.lock").read_text())
    installed = {"Django": locked["django"], "gunicorn": locked["gunicorn"]}
    component = {"type": "library", "name": "Django", "version": locked["django"], "purl": "pkg:pypi/django"}
    gunicorn = {"type": "library", "name": "gunicorn", "version": locked["gunicorn"], "purl": "pkg:pypi/gunicorn"}
    good = {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [component, gunicorn]}
    assert sbom.verify(good, installed)[0]
    assert not sbom.verify({**good, "components": [component]}, installed)[0]
    wrong = {**gunicorn, "version": "0.0.1"}
    assert not sbom.verify({**good, "components": [component, wrong]}, installed)[0]
    assert not sbom.verify(good, installed | {"gunicorn": "0.0.1"})[0]  # installed, but not as locked


def test_pre_commit_runs_what_make_lint_runs() -> None:
    import yaml

    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert {repo["repo"] for repo in config["repos"]} == {"local"}  # nothing to download
    # A hook gets file names instead of ".", and --force-exclude keeps ruff's excludes for them.
    entries = {
        " ".join(w for w in hook["entry"].split() if w != "--force-exclude").replace(".venv/bin/", "$(BIN)/")
        for hook in hooks
    }
    for line in recipe("lint"):
        assert line.removesuffix(" .") in entries, line
    assert all(hook["language"] == "system" for hook in hooks)


def test_python_311_to_313_accepted() -> None:
    assert 'requires-python = ">=3.11,<3.14"' in (REPO / "pyproject.toml").read_text()
    assert "command -v python3.11" in MAKEFILE.split("PYTHON ?=", 1)[1].splitlines()[0]
    assert locks.PYTHON_VERSION == "3.11"  # --universal: markers for every later version
