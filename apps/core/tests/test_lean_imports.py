"""config/lean_imports.py: a worker that loads the app does not load the optional packages no request uses.

Each check runs in a fresh interpreter (this process has imported everything already).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

PROBE = """
import json, sys
import django
django.setup()
import config.urls  # every view, serializer and URL
from django.urls import get_resolver
get_resolver().url_patterns
import jwt, jwt.algorithms
token = jwt.encode({"sub": "x"}, "k" * 32, algorithm="HS256")
decoded = jwt.decode(token, "k" * 32, algorithms=["HS256"])
loaded = {name: name in sys.modules for name in ("requests", "pygments", "msgpack", "cryptography.x509",
                                                  "cryptography.hazmat.primitives.asymmetric.rsa",
                                                  "opentelemetry.sdk.metrics", "icalendar")}
from apps.audit import signing
signature = signing.sign(b"checkpoint")
verified = signing.verify_signature(b"checkpoint", signature, signing.current_public_key())
import requests  # still importable where something really needs it
print(json.dumps({"loaded": loaded, "hs256": decoded == {"sub": "x"}, "ed25519": verified,
                  "requests_later": hasattr(requests, "get")}))
"""


def _probe(**env: str) -> dict[str, object]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    environment.update({"ENV": "test", "DJANGO_SETTINGS_MODULE": "config.settings", **env})
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=environment, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_optional_packages_stay_out_and_the_paths_that_need_them_still_work() -> None:
    result = _probe()
    assert result["loaded"] == {
        "requests": False,
        "pygments": False,
        "msgpack": False,
        "cryptography.x509": False,
        "cryptography.hazmat.primitives.asymmetric.rsa": False,
        "opentelemetry.sdk.metrics": False,
        "icalendar": False,
    }
    assert result["hs256"] is True
    assert result["ed25519"] is True
    assert result["requests_later"] is True


def test_tracing_on_leaves_opentelemetry_to_redis_py() -> None:
    result = _probe(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9")
    loaded = result["loaded"]
    assert isinstance(loaded, dict)
    assert loaded["opentelemetry.sdk.metrics"] is True
    assert loaded["requests"] is True  # the OTLP exporter's own dependency: hidden from DRF only
