"""pip-audit over hashed lock files, refusing to call a partial audit clean.

    make audit      (python -m deploy.audit requirements/production.lock ...)

pip-audit prints "No known vulnerabilities found" and exits 0 even when it
could not look a single package up (it marks them skipped). Here, where no
vulnerability database answers (PyPI's vulnerability data gives 404, OSV does
not resolve), that would be a false all-clear. So this reads its JSON report:
any skipped package makes the audit fail with exit 2 and a message saying what
could not be audited; a known vulnerability fails with exit 1 and names it; a
full audit with none exits 0. The GitHub workflow runs the same command.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path


def audit(lock: Path) -> int:
    pip_audit = Path(sys.executable).parent / "pip-audit"
    with tempfile.NamedTemporaryFile(suffix=".json") as output:
        argv = [str(pip_audit), "--require-hashes", "--disable-pip", "--progress-spinner", "off"]
        argv += ["--format", "json", "--output", output.name, "-r", str(lock)]
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        text = Path(output.name).read_text()
    if not text.strip():
        print(f"{lock.name}: pip-audit produced no report (exit {result.returncode}): {result.stderr.strip()[-400:]}")
        return 2
    dependencies = json.loads(text)["dependencies"]
    skipped = [d for d in dependencies if "skip_reason" in d]
    vulnerable = [d for d in dependencies if d.get("vulns")]
    for dependency in vulnerable:
        ids = ", ".join(
            v["id"] + (f" (fixed in {', '.join(v['fix_versions'])})" if v.get("fix_versions") else "")
            for v in dependency["vulns"]
        )
        print(f"{lock.name}: {dependency['name']} {dependency['version']}: {ids}")
    if skipped:
        print(
            f"{lock.name}: NOT AUDITED: {len(skipped)} of {len(dependencies)} packages could not be looked up "
            f"(no vulnerability database reachable from here?): {skipped[0]['skip_reason']}"
        )
        return 2
    if vulnerable:
        return 1
    print(f"{lock.name}: {len(dependencies)} packages audited, no known vulnerabilities")
    return 0


def main(argv: list[str]) -> int:
    codes = [audit(Path(lock)) for lock in argv[1:]]
    return max(codes, default=2)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
