"""The repository explains itself: make help lists every target, the README maps every folder and stays inside."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _phony_targets() -> list[str]:
    makefile = (ROOT / "Makefile").read_text()
    phony = re.search(r"^\.PHONY:(.*)$", makefile, re.MULTILINE)
    assert phony is not None
    return phony.group(1).split()


def test_make_help_lists_every_target():
    shown = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    named = set(re.findall(r"make ([a-z-]+)", shown)) | set(re.findall(r"/ ([a-z-]+)", shown))
    missing = [target for target in _phony_targets() if target not in named and target != "help"]
    assert not missing, f"make help does not list: {missing}"


def test_readme_layout_lists_every_folder():
    readme = (ROOT / "README.md").read_text()
    layout = readme[readme.index("## Layout") :]
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    folders = sorted({line.split("/")[0] for line in tracked.splitlines() if "/" in line})
    folders += sorted(
        {
            "/".join(line.split("/")[:2])
            for line in tracked.splitlines()
            if line.count("/") >= 2 and line.startswith("apps/")
        }
    )
    missing = [name for name in folders if name not in layout]
    assert not missing, f"README's layout does not mention: {missing}"


def test_readme_points_inside_the_repository():
    readme = (ROOT / "README.md").read_text()
    assert "../" not in readme
    assert "docs/architecture.md" in readme
    for linked in re.findall(r"`((?:docs|apps|config|bench|deploy|docker|requirements)/[\w./-]+)`", readme):
        assert (ROOT / linked.rstrip("/")).exists() or "<" in linked, linked
