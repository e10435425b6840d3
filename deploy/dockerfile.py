"""Just enough of a Dockerfile parser to run what an image runs without Docker.

The rehearsal and the consistency tests read the start command, HEALTHCHECK,
ENV, WORKDIR and RUN lines from the Dockerfiles themselves, so a change there
is what gets exercised, never a retyped copy.
"""

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: FROM, RUN, CMD, ...
    value: str  # the arguments, continuation lines joined
    line: int  # where it starts, 1-based


def parse(path: Path) -> list[Instruction]:
    """Instructions in order, with comments dropped and ``\\`` continuations joined."""
    instructions: list[Instruction] = []
    buffer: list[str] = []
    start = 0
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        stripped = raw.strip()
        if not buffer and (not stripped or stripped.startswith("#")):
            continue
        if buffer and stripped.startswith("#"):
            continue  # comments inside a continued instruction are dropped by Docker too
        if not buffer:
            start = number
        if stripped.endswith("\\"):
            buffer.append(stripped[:-1].strip())
            continue
        buffer.append(stripped)
        text = " ".join(part for part in buffer if part)
        keyword, _, value = text.partition(" ")
        instructions.append(Instruction(keyword.upper(), value.strip(), start))
        buffer = []
    return instructions


def stages(path: Path) -> list[list[Instruction]]:
    """Instructions grouped by build stage (each starts with FROM)."""
    result: list[list[Instruction]] = []
    for instruction in parse(path):
        if instruction.keyword == "FROM":
            result.append([])
        if not result:
            continue  # ARG before the first FROM
        result[-1].append(instruction)
    return result


def final_stage(path: Path) -> list[Instruction]:
    return stages(path)[-1]


def exec_form(value: str) -> list[str]:
    """``["a", "b"]`` as a list; shell form becomes ``/bin/sh -c value`` like Docker does."""
    if value.startswith("["):
        parsed = json.loads(value)
        if not (isinstance(parsed, list) and all(isinstance(item, str) for item in parsed)):
            raise ValueError(f"not an exec-form array: {value}")
        return parsed
    return ["/bin/sh", "-c", value]


def _last(path: Path, keyword: str) -> Instruction | None:
    found = [i for i in final_stage(path) if i.keyword == keyword]
    return found[-1] if found else None


def cmd(path: Path) -> list[str]:
    instruction = _last(path, "CMD")
    return exec_form(instruction.value) if instruction else []


def entrypoint(path: Path) -> list[str]:
    instruction = _last(path, "ENTRYPOINT")
    return exec_form(instruction.value) if instruction else []


def workdir(path: Path) -> str:
    instruction = _last(path, "WORKDIR")
    return instruction.value if instruction else "/"


def user(path: Path) -> str | None:
    instruction = _last(path, "USER")
    return instruction.value if instruction else None


def env(path: Path) -> dict[str, str]:
    """The final stage's ENV, in order, ``$VAR`` references left for the caller to expand."""
    result: dict[str, str] = {}
    for instruction in final_stage(path):
        if instruction.keyword != "ENV":
            continue
        for pair in shlex.split(instruction.value):
            name, sep, value = pair.partition("=")
            if not sep:
                raise ValueError(f"line {instruction.line}: use ENV NAME=value, not the legacy form")
            result[name] = value
    return result


@dataclass(frozen=True)
class Healthcheck:
    options: dict[str, str]  # interval, timeout, start-period, retries
    command: list[str]


def healthcheck(path: Path) -> Healthcheck | None:
    instruction = _last(path, "HEALTHCHECK")
    if instruction is None or instruction.value.upper() == "NONE":
        return None
    options: dict[str, str] = {}
    rest = instruction.value
    while match := re.match(r"--([a-z-]+)=(\S+)\s+", rest):
        options[match.group(1)] = match.group(2)
        rest = rest[match.end() :]
    keyword, _, command = rest.partition(" ")
    if keyword.upper() != "CMD":
        raise ValueError(f"line {instruction.line}: HEALTHCHECK without CMD")
    return Healthcheck(options, exec_form(command.strip()))


def run_commands(path: Path) -> list[str]:
    """The final stage's RUN commands (shell form), in order."""
    return [i.value for i in final_stage(path) if i.keyword == "RUN"]


def duration_seconds(text: str) -> float:
    """Docker's durations as used in HEALTHCHECK: ``30s``, ``1m30s``, ``500ms``."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {text}")
    return sum(float(number) * units[unit] for number, unit in parts)
