"""Rendering a page of rows: the declared output (apps.core.outputs) against DRF's ModelSerializer
and a hand-written function (the kind the declarations replaced). No database: in-memory rows.

Usage: .venv/bin/python bench/outputs.py [--rows 20] [--rounds 7]

Prints the best time per page of each, interleaved round by round so a busy
machine slows all three alike.
"""

import argparse
import os
import sys
import timeit
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ENV", "test")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from rest_framework import serializers  # noqa: E402

from apps.core.converters import as_date, as_instant  # noqa: E402
from apps.patients.models import DEMOGRAPHIC_FIELDS  # noqa: E402
from apps.patients.outputs import PATIENT_OUTPUT  # noqa: E402


def hand_written(row: dict) -> dict:
    out = {"id": str(row["id"]), "clinic": str(row["clinic_id"]), "mrn": row["mrn"]}
    for name in DEMOGRAPHIC_FIELDS:
        out[name] = row[name]
    out["date_of_birth"] = as_date(row["date_of_birth"])
    out["active"] = row["active"]
    out["archived_at"] = as_instant(row["archived_at"])
    out["created_at"] = as_instant(row["created_at"])
    out["updated_at"] = as_instant(row["updated_at"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    now = datetime.now(UTC)
    row: dict[str, Any] = dict.fromkeys(PATIENT_OUTPUT.columns, "x")
    row.update(
        id=uuid.uuid4(),
        clinic_id=uuid.uuid4(),
        date_of_birth=date(1980, 1, 1),
        active=True,
        archived_at=None,
        created_at=now,
        updated_at=now,
    )
    rows = [dict(row) for _ in range(args.rows)]
    drf = PATIENT_OUTPUT.serializer()  # DRF's per-field path, on the same declared fields
    assert [hand_written(r) for r in rows] == PATIENT_OUTPUT.render_many(rows)
    contenders = {
        "OutputSpec.render_many": lambda: PATIENT_OUTPUT.render_many(rows),
        "hand-written function": lambda: [hand_written(r) for r in rows],
        "DRF ModelSerializer": lambda: [serializers.ModelSerializer.to_representation(drf, r) for r in rows],
    }
    best = dict.fromkeys(contenders, float("inf"))
    for _ in range(args.rounds):
        for name, run in contenders.items():
            best[name] = min(best[name], min(timeit.repeat(run, number=200, repeat=3)) / 200)
    for name, seconds in best.items():
        print(f"{name:24} {seconds * 1e3:7.3f} ms per {args.rows} patient rows")


if __name__ == "__main__":
    main()
