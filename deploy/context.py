"""The Docker build context: the repository minus what .dockerignore excludes.

The rehearsal copies exactly this into its clean directory, so a file that
.dockerignore wrongly drops breaks the rehearsal as it would break the image.
Patterns follow Docker's rules closely enough for ours: ``*`` and ``?`` within
one path segment, ``**`` across segments, ``!`` re-includes, the last matching
rule wins, and a matched directory takes everything under it.
"""

import os
import re
import shutil
from pathlib import Path

Rule = tuple[bool, re.Pattern[str]]  # (is an exception "!", compiled pattern)


def _translate(pattern: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
            continue
        if pattern.startswith("**", i):
            out, i = out + ".*", i + 2
            continue
        if char == "*":
            out += "[^/]*"
        elif char == "?":
            out += "[^/]"
        elif char == "[" and (end := pattern.find("]", i)) > i:
            out += pattern[i : end + 1]
            i = end
        else:
            out += re.escape(char)
        i += 1
    return re.compile(out + r"\Z")


def load_rules(root: Path) -> list[Rule]:
    path = root / ".dockerignore"
    rules: list[Rule] = []
    if not path.exists():
        return rules
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = os.path.normpath(line.lstrip("!").strip()).lstrip("/")
        rules.append((negate, _translate(pattern)))
    return rules


def is_excluded(relative: str, rules: list[Rule]) -> bool:
    parts = relative.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for negate, regex in rules:
        if any(regex.match(candidate) for candidate in candidates):
            excluded = not negate
    return excluded


def files(root: Path) -> list[str]:
    """Relative paths of every file that ``COPY . .`` would copy."""
    rules = load_rules(root)
    has_exceptions = any(negate for negate, _ in rules)
    found: list[str] = []
    for directory, subdirs, names in os.walk(root):
        base = Path(directory).relative_to(root).as_posix()
        prefix = "" if base == "." else base + "/"
        if not has_exceptions:  # nothing below an excluded directory can come back
            subdirs[:] = [d for d in subdirs if not is_excluded(prefix + d, rules)]
        found.extend(prefix + name for name in names if not is_excluded(prefix + name, rules))
    return sorted(found)


def copy(root: Path, destination: Path) -> int:
    """Copy the build context to ``destination``; returns the number of files."""
    paths = files(root)
    for relative in paths:
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / relative, target)
    return len(paths)
