"""The hashed lock files in requirements/: compile them, and tell when one is stale.

    make lock          (python -m deploy.locks compile): every lock from its input
    make lock-check    (python -m deploy.locks check):   exit 1 if any lock is stale

Each ``requirements/NAME.lock`` is ``uv pip compile --universal --generate-hashes``
of ``requirements/NAME.txt`` (and, for some, constrained by another lock so the
packages they share keep one version). uv prefers the versions already in the
output file, so a rerun changes only what an input changed: the result is
deterministic and takes seconds. The first line of every lock records a SHA-256
of its inputs (the .txt, every file it includes with -r/-c, and the constraint
lock); ``check`` recomputes it, and also finds every ``==`` pin of the inputs
in the lock with the same version, so a pin added or bumped without
``make lock`` fails ``make test`` with a message naming it.
"""

import hashlib
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REQUIREMENTS = Path(__file__).resolve().parents[1] / "requirements"
DIGEST_PREFIX = "# inputs sha256: "
# The lowest Python we accept (pyproject's requires-python); --universal adds
# markers so the same lock installs on every accepted version and platform.
PYTHON_VERSION = "3.11"


@dataclass(frozen=True)
class Lock:
    name: str
    constraint: str | None = None  # another lock whose versions this one must keep

    @property
    def source(self) -> Path:
        return REQUIREMENTS / f"{self.name}.txt"

    @property
    def path(self) -> Path:
        return REQUIREMENTS / f"{self.name}.lock"


# In dependency order: a constraint is compiled before the lock that uses it.
LOCKS = (
    Lock("production"),  # the images and `make run`
    Lock("tracing", constraint="production"),  # on top of production in an image built with TRACING=1
    Lock("development", constraint="production"),  # `make install` / `make test`
    Lock("bench", constraint="development"),  # `make bench` only
    Lock("checkov"),  # its own virtualenv (see requirements/checkov.txt)
    Lock("sbom"),  # the SBOM tool in the image's builder stage
    Lock("bootstrap"),  # uv itself
)

_INCLUDE = re.compile(r"^\s*-(?:r|c|-requirement|-constraint)[\s=]+(\S+)", re.M)
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", re.M)


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def inputs(lock: Lock) -> list[Path]:
    """The input file, every file it includes (recursively), then the constraint lock."""
    seen: list[Path] = []
    pending = [lock.source]
    while pending:
        path = pending.pop(0)
        if path in seen:
            continue
        seen.append(path)
        pending.extend(path.parent / included for included in _INCLUDE.findall(path.read_text()))
    if lock.constraint is not None:
        seen.append(REQUIREMENTS / f"{lock.constraint}.lock")
    return seen


def digest(lock: Lock) -> str:
    """SHA-256 over the inputs' names and contents (a constraint lock without its own digest line)."""
    sha = hashlib.sha256()
    for path in inputs(lock):
        text = path.read_text()
        if path.suffix == ".lock":
            text = "".join(line for line in text.splitlines(True) if not line.startswith(DIGEST_PREFIX))
        sha.update(f"{path.name}\n{text}\n".encode())
    return sha.hexdigest()


def pins(text: str) -> dict[str, str]:
    return {normalise(name): version for name, version in _PIN.findall(text)}


def problems(lock: Lock) -> list[str]:
    """Why this lock is stale; empty when it is current."""
    if not lock.path.exists():
        return [f"{lock.path.name} is missing"]
    text = lock.path.read_text()
    found: list[str] = []
    locked = pins(text)
    for path in inputs(lock):
        if path.suffix == ".lock":
            continue
        for name, version in pins(path.read_text()).items():
            if locked.get(name) != version:
                found.append(f"{path.name} pins {name}=={version}, {lock.path.name} has {locked.get(name, 'none')}")
    first = text.splitlines()[0] if text else ""
    if first != DIGEST_PREFIX + digest(lock) and not found:
        found.append(f"{lock.path.name} was compiled from other inputs than {', '.join(p.name for p in inputs(lock))}")
    lines = text.splitlines()
    unhashed = [
        line.split()[0]
        for line, following in zip(lines, [*lines[1:], ""], strict=True)
        if _PIN.match(line) and not following.strip().startswith("--hash=sha256:")
    ]
    if unhashed:
        found.append(f"{lock.path.name} has entries without hashes: {', '.join(unhashed[:5])}")
    return found


def uv() -> str:
    """uv from this virtualenv (requirements/bootstrap.lock), else from PATH."""
    local = Path(sys.executable).parent / "uv"
    found = str(local) if local.exists() else shutil.which("uv")
    if found is None:
        raise SystemExit("uv not found: run `make install` first (it installs uv from requirements/bootstrap.lock)")
    return found


def compile_lock(lock: Lock) -> None:
    argv = [
        uv(),
        "pip",
        "compile",
        "--quiet",
        "--universal",
        "--python-version",
        PYTHON_VERSION,
        "--generate-hashes",
        "--custom-compile-command",
        "make lock",
        "--output-file",
        str(lock.path.relative_to(REQUIREMENTS.parent)),
    ]
    if lock.constraint is not None:
        argv += ["--constraint", f"requirements/{lock.constraint}.lock"]
    argv.append(str(lock.source.relative_to(REQUIREMENTS.parent)))
    print(f"$ {' '.join(argv[1:])}", flush=True)
    subprocess.run(argv, cwd=REQUIREMENTS.parent, check=True)
    body = "".join(line for line in lock.path.read_text().splitlines(True) if not line.startswith(DIGEST_PREFIX))
    lock.path.write_text(f"{DIGEST_PREFIX}{digest(lock)}\n{body}")


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "compile":
        for lock in LOCKS:
            compile_lock(lock)
        return 0
    if command == "check":
        stale = [(lock, problem) for lock in LOCKS for problem in problems(lock)]
        for _lock, problem in stale:
            print(f"stale lock: {problem}", file=sys.stderr)
        if stale:
            print("run `make lock` and commit requirements/*.lock", file=sys.stderr)
            return 1
        print(f"lock files current: {', '.join(lock.path.name for lock in LOCKS)}")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
