"""audit_harden_roles: the app's role keeps SELECT and INSERT; every way to rewrite or drop the trail is refused."""

import uuid

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from apps.audit.management.commands.audit_harden_roles import TABLES, harden_statements

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def roles():
    """A fresh login role standing in for the app's, and a fresh owner name; ownership is handed back after."""
    suffix = uuid.uuid4().hex[:8]
    app, owner = f"clinicops_test_app_{suffix}", f"clinicops_test_owner_{suffix}"
    me = connection.settings_dict["USER"]
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{app}" LOGIN')
    yield app, owner
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f'ALTER TABLE {table} OWNER TO "{me}"')
        cursor.execute(f'ALTER FUNCTION audit_event_append_only() OWNER TO "{me}"')
        cursor.execute(f'DROP OWNED BY "{app}"')
        cursor.execute(f'DROP ROLE "{app}"')
        cursor.execute(f'DROP ROLE IF EXISTS "{owner}"')


def connect_as(role: str) -> psycopg.Connection:
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"], port=settings["PORT"] or 5432, dbname=settings["NAME"], user=role, autocommit=True
    )


INSERT = (
    "INSERT INTO audit_auditevent (event_id, at, action, resource_type, resource_id, request_id, changes) "
    "VALUES (gen_random_uuid(), now(), 'x.read', 'thing', '1', '', '{}') RETURNING id, txid"
)


def test_after_hardening_the_app_role_may_only_insert_and_select(roles):
    app, owner = roles
    call_command("audit_harden_roles", "--app-role", app, "--owner-role", owner)
    with connect_as(app) as conn:
        event_id, txid = conn.execute(INSERT).fetchone()
        assert txid is not None  # the default still fills it
        assert conn.execute("SELECT count(*) FROM audit_auditevent WHERE id = %s", [event_id]).fetchone() == (1,)
        assert conn.execute("SELECT pg_try_advisory_xact_lock(1)").fetchone() == (True,)  # the sealer's lock
        conn.execute(
            "INSERT INTO audit_auditleaf (log_index, event_id, leaf_hash) VALUES (0, %s, %s)", [event_id, b"x"]
        )
        for statement in (
            "UPDATE audit_auditevent SET action = 'forged'",
            "DELETE FROM audit_auditevent",
            "TRUNCATE audit_auditevent CASCADE",
            "UPDATE audit_auditleaf SET log_index = 5",
            "DELETE FROM audit_auditcheckpoint",
            "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
            "DROP TABLE audit_auditleaf",
            "SET session_replication_role = replica",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    with connection.cursor() as cursor:
        cursor.execute("SELECT action FROM audit_auditevent WHERE id = %s", [event_id])
        assert cursor.fetchone() == ("x.read",)
        cursor.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_auditevent'")
        assert cursor.fetchone() == (owner,)


def test_hardening_refuses_a_superuser_app_role_and_prints_its_sql(roles, capsys):
    app, owner = roles
    with pytest.raises(CommandError, match="superuser"):
        call_command("audit_harden_roles", "--app-role", connection.settings_dict["USER"], "--owner-role", owner)
    call_command("audit_harden_roles", "--app-role", app, "--owner-role", owner, "--dry-run")
    out = capsys.readouterr().out
    assert f'GRANT SELECT, INSERT ON TABLE audit_auditevent TO "{app}";' in out
    assert out.count("\n") == len(harden_statements(owner_role=owner, app_role=app))
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_auditevent'")
        assert cursor.fetchone() == (connection.settings_dict["USER"],)  # a dry run changed nothing
