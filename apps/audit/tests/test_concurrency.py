"""On PostgreSQL, with real concurrent transactions: appends never wait; every event sealed exactly once."""

import random
import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from apps.audit.models import AuditCheckpoint, AuditEvent, AuditLeaf
from apps.audit.sealer import audit_seal, audit_seal_all
from apps.audit.services import AuditEntry, audit_record, audit_record_many
from apps.audit.verify import audit_log_verify

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def in_thread(target: Callable[[], None]) -> threading.Thread:
    def run() -> None:
        try:
            target()
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_two_appends_in_open_transactions_do_not_wait_on_each_other():
    holding = threading.Event()
    release = threading.Event()

    def hold_open() -> None:
        with transaction.atomic():
            audit_record(action="a.read", resource_type="thing", resource_id="held")
            holding.set()
            release.wait(10)

    first = in_thread(hold_open)
    assert holding.wait(10)
    started = time.monotonic()
    with transaction.atomic():
        audit_record(action="b.read", resource_type="thing", resource_id="free")
    elapsed = time.monotonic() - started
    release.set()
    first.join(10)
    # The old chain's advisory lock made the second wait for the first's commit (10 s here).
    assert elapsed < 2.0
    assert AuditEvent.objects.count() == 2


def test_an_event_committed_after_a_seal_began_goes_into_the_next_checkpoint():
    holding = threading.Event()
    release = threading.Event()

    def late_writer() -> None:
        with transaction.atomic():
            # Lower id than the next event, committed after the first seal: the case "seal up to max id" loses.
            audit_record(action="late.read", resource_type="thing", resource_id="late")
            holding.set()
            release.wait(10)

    writer = in_thread(late_writer)
    assert holding.wait(10)
    early = audit_record(action="early.read", resource_type="thing", resource_id="early")
    first = audit_seal().checkpoint
    assert first is not None
    assert first.tree_size == 1
    assert list(AuditLeaf.objects.values_list("event_id", flat=True)) == [early.pk]
    release.set()
    writer.join(10)
    late = AuditEvent.objects.get(resource_id="late")
    assert late.pk < early.pk
    assert first.txid_horizon is not None
    assert late.txid >= first.txid_horizon  # still inside the window the next seal searches
    second = audit_seal().checkpoint
    assert second is not None
    assert second.tree_size == 2
    assert AuditLeaf.objects.get(log_index=1).event_id == late.pk
    assert audit_log_verify().ok


def test_eight_writers_and_a_running_sealer_seal_every_committed_event_exactly_once():
    stop = threading.Event()
    committed: list[list[str]] = [[] for _ in range(8)]
    seals: list[int] = []
    errors: list[BaseException] = []

    def writer(slot: int) -> None:
        rng = random.Random(slot)
        try:
            for batch in range(25):
                ids = [f"w{slot}-{batch}-{n}" for n in range(rng.randint(1, 4))]
                entries = [AuditEntry(action="x.read", resource_type="thing", resource_id=i) for i in ids]
                if rng.random() < 0.5:
                    audit_record_many(entries)  # autocommit: one statement
                    committed[slot].extend(ids)
                    continue
                try:
                    with transaction.atomic():
                        audit_record_many(entries)
                        time.sleep(rng.random() * 0.01)  # commits land out of id order
                        if rng.random() < 0.2:
                            raise RuntimeError("rolled back")
                    committed[slot].extend(ids)
                except RuntimeError:
                    pass
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def sealer() -> None:
        try:
            while not stop.is_set():
                result = audit_seal(batch_size=random.randint(3, 40))
                seals.append(result.sealed)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    sealers = [in_thread(sealer) for _ in range(2)]  # two sealers: the advisory lock makes them take turns
    writers = [in_thread(lambda slot=slot: writer(slot)) for slot in range(8)]
    for thread in writers:
        thread.join(60)
    stop.set()
    for thread in sealers:
        thread.join(60)
    assert not errors
    audit_seal_all()

    expected = sorted(i for ids in committed for i in ids)
    sealed = list(AuditLeaf.objects.order_by("log_index").values_list("event__resource_id", flat=True))
    assert sorted(sealed) == expected  # every committed event, no rolled-back one
    assert len(set(sealed)) == len(sealed)  # none twice
    assert list(AuditLeaf.objects.order_by("log_index").values_list("log_index", flat=True)) == list(range(len(sealed)))
    assert sum(seals) > 0  # the sealer really ran while they wrote
    assert AuditCheckpoint.objects.count() > 1
    report = audit_log_verify()
    assert report.ok, report.problems
    assert report.events == len(expected)
