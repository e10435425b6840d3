"""The persona suite's parts: route discovery, the per-app registries, expectations, table snapshots.

Apps declare ``PERSONAS = {route_name: PersonaCase(...)}`` in ``apps/<app>/tests/personas.py``;
``tests/test_personas.py`` walks every route under /api/v1/ and checks each method as every persona.
"""

from tests.personas.case import PersonaCase, Target

__all__ = ["PersonaCase", "Target"]
