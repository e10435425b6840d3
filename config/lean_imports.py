"""Keep optional third-party imports that no request uses out of every process (docs/performance.md).

Some libraries probe for optional packages at import time and load them if installed,
although ClinicOps never takes the paths that need them (bench/worker_rss.py measures
the effect on a web worker):

* PyJWT's ``jwt.algorithms`` imports cryptography's RSA, EC and EdDSA keys and X.509
  (~12 MB) when cryptography is installed (it is, for the audit log's Ed25519
  signatures). Our tokens are HS256 (``SIMPLE_JWT["ALGORITHM"]``): HMAC needs none of it.
* DRF's ``rest_framework.compat`` imports ``requests`` (+urllib3, ~20 MB) for
  ``rest_framework.test.RequestsClient`` alone, which no code here uses.
* DRF's compat also imports ``pygments`` (the browsable API's highlighting; ours is JSON
  only), and kombu registers YAML and msgpack serializers when they are installed (Celery
  here accepts JSON only, ``CELERY_ACCEPT_CONTENT``).
* redis-py 8's ``redis.observability`` imports the OpenTelemetry API and metrics SDK when
  they are installed (its own Redis metrics, which we never switch on).

``install()`` (called from ``config/__init__.py``, so the web, Celery and tests alike)
makes the optional package look absent while the importer's own module body runs; each
importer already handles that (``except ImportError``). The package itself still imports
normally everywhere else: ``apps.audit.signing`` loads cryptography when it signs, the
tracing setup loads the OpenTelemetry SDK when OTEL_EXPORTER_OTLP_ENDPOINT is set (only
modules not yet imported can be hidden: ``find_spec`` is not asked for the others).
Nothing is hidden when the importer is already imported, and OpenTelemetry is hidden
from redis-py only when tracing is off. (redis-py's asyncio client, also imported by
``import redis``, cannot be deferred: its sync client imports it while ``redis`` initialises.)
"""

import importlib.abc
import importlib.machinery
import os
import sys
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import Any

# Importer module -> packages it probes for (and may do without) hidden while it runs.
HIDDEN_WHILE_IMPORTING: dict[str, tuple[str, ...]] = {
    "jwt.algorithms": ("cryptography",),
    "rest_framework.compat": ("requests", "pygments"),
    "kombu.serialization": ("yaml", "msgpack"),
    "redis.observability.providers": ("opentelemetry",),
    "redis.observability.metrics": ("opentelemetry",),
}
# Hidden only while tracing is off (OTEL_EXPORTER_OTLP_ENDPOINT unset).
TRACING_IMPORTERS = ("redis.observability.providers", "redis.observability.metrics")

_state = threading.local()


def _hidden() -> list[tuple[str, ...]]:
    if not hasattr(_state, "hidden"):
        _state.hidden = []
    stack: list[tuple[str, ...]] = _state.hidden
    return stack


class _HidingLoader(importlib.abc.Loader):
    """The importer's own loader, with ``packages`` looking absent while its module body runs."""

    def __init__(self, loader: importlib.abc.Loader, packages: tuple[str, ...]) -> None:
        self._loader = loader
        self._packages = packages

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        _hidden().append(self._packages)
        try:
            self._loader.exec_module(module)
        finally:
            _hidden().pop()


class LeanImportFinder(importlib.abc.MetaPathFinder):
    def __init__(self, hidden: dict[str, tuple[str, ...]]) -> None:
        self.hidden = hidden

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: Any = None) -> Any:
        for packages in _hidden():
            for package in packages:
                if fullname == package or fullname.startswith(package + "."):
                    raise ModuleNotFoundError(f"{fullname} is not needed here (config/lean_imports.py)", name=fullname)
        if fullname in self.hidden:
            # The importers are plain files of installed packages: the path finder finds them
            # (asking the other meta path finders could recurse into one that asks us).
            spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
            if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
                return spec
            spec.loader = _HidingLoader(spec.loader, self.hidden[fullname])
            return spec
        return None


def install() -> None:
    """Install the finder once, first on ``sys.meta_path``; idempotent."""
    if any(isinstance(finder, LeanImportFinder) for finder in sys.meta_path):
        return
    hidden = dict(HIDDEN_WHILE_IMPORTING)
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        for name in TRACING_IMPORTERS:
            hidden.pop(name)
    pending = {name: packages for name, packages in hidden.items() if name not in sys.modules}
    sys.meta_path.insert(0, LeanImportFinder(pending))
