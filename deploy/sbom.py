"""The image's CycloneDX SBOM (written in the Dockerfile's builder stage) checked
against what the virtualenv holds and what requirements/production.lock pins."""

import json
import re
from collections.abc import Mapping
from pathlib import Path

from deploy.locks import normalise, pins

LOCK = Path(__file__).resolve().parents[1] / "requirements" / "production.lock"
SBOM_IN_VENV = "sbom.cdx.json"  # /opt/venv/sbom.cdx.json in the image

# Run inside the image (or against a rehearsal virtualenv): the installed
# distributions and the SBOM, as one JSON document on stdout.
INSPECT = (
    "import json, sys, importlib.metadata as m; "
    "print(json.dumps({'installed': {d.metadata['Name']: d.version for d in m.distributions()}, "
    "'sbom': json.load(open(sys.prefix + '/" + SBOM_IN_VENV + "'))}))"
)


def verify(sbom: Mapping[str, object], installed: Mapping[str, str]) -> tuple[bool, str]:
    """Every installed distribution is a component at its installed version, which is the locked one."""
    components = sbom.get("components") or []
    assert isinstance(components, list)
    listed = {normalise(str(c["name"])): str(c["version"]) for c in components if isinstance(c, dict)}
    have = {normalise(name): version for name, version in installed.items()}
    locked = pins(LOCK.read_text())
    missing = sorted(name for name in have if name not in listed)
    wrong = sorted(name for name, version in have.items() if name in listed and listed[name] != version)
    unlocked = sorted(name for name, version in have.items() if locked.get(name) != version)
    purls = all(re.match(r"pkg:pypi/", str(c.get("purl", ""))) for c in components if isinstance(c, dict))
    ok = sbom.get("bomFormat") == "CycloneDX" and bool(listed) and not missing and not wrong and not unlocked and purls
    detail = (
        f"CycloneDX {sbom.get('specVersion')}, {len(listed)} components for {len(have)} installed distributions"
        + (f"; missing {missing[:5]}" if missing else "")
        + (f"; version differs {wrong[:5]}" if wrong else "")
        + (f"; not as in production.lock {unlocked[:5]}" if unlocked else "")
    )
    return ok, detail


def verify_inspection(output: str) -> tuple[bool, str]:
    data = json.loads(output.strip().splitlines()[-1])
    return verify(data["sbom"], data["installed"])
