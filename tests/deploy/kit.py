"""Where the deployment files are, and how to read the commands inside them."""

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import yaml

from deploy import dockerfile

REPO = Path(__file__).resolve().parents[2]
DOCKERFILES = {
    "root": REPO / "Dockerfile",
    "prod": REPO / "docker" / "prod" / "Dockerfile",
    "dev": REPO / "docker" / "dev" / "Dockerfile",
}
COMPOSE = {"dev": REPO / "compose.dev.yml", "prod": REPO / "compose.prod.yml"}
RAILWAY = {
    "web": REPO / "railway.toml",
    "worker": REPO / "railway.worker.toml",
    "beat": REPO / "railway.beat.toml",
}
ENTRYPOINT = REPO / "entrypoint.sh"
WORKFLOW = REPO / ".github" / "workflows" / "deploy.yml"
IMAGE_WORKDIR = "/app"


def compose(name: str) -> dict[str, Any]:
    return yaml.safe_load(COMPOSE[name].read_text())


def railway(name: str) -> dict[str, Any]:
    return tomllib.loads(RAILWAY[name].read_text())


def repo_path(path: str) -> Path:
    """An in-image path (/app/x) or a repository-relative one, as a path in this checkout."""
    if path == IMAGE_WORKDIR or path.startswith(IMAGE_WORKDIR + "/"):
        path = path[len(IMAGE_WORKDIR) :].lstrip("/")
    return REPO / path


def entrypoint_roles() -> dict[str, str]:
    """Role name -> the shell lines of its ``case`` arm in entrypoint.sh."""
    text = ENTRYPOINT.read_text()
    case = text[text.index('case "$role" in') : text.index("esac")]
    arms = re.findall(r"^\s{4}([\w*|-]+)\)\n(.*?);;", case, flags=re.M | re.S)
    return dict(arms)


def role_commands(role: str) -> list[list[str]]:
    """The commands one role runs, shell functions expanded, as argv lists."""
    text = ENTRYPOINT.read_text()
    functions = dict(re.findall(r"^(\w+)\(\) \{\n(.*?)^\}", text, flags=re.M | re.S))
    commands: list[list[str]] = []
    for line in entrypoint_roles()[role].splitlines():
        line = line.strip()
        if not line:
            continue
        if line in functions:
            commands.extend(shlex.split(inner.strip()) for inner in functions[line].splitlines() if inner.strip())
        else:
            commands.append(shlex.split(line))
    return commands


def image_start(dockerfile_path: Path, command: list[str] | None = None) -> list[str]:
    """What a container of this image runs: ENTRYPOINT + (command or CMD)."""
    return dockerfile.entrypoint(dockerfile_path) + (
        command if command is not None else dockerfile.cmd(dockerfile_path)
    )
