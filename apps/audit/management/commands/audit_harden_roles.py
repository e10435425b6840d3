"""Hand the audit tables to a separate owner role; the app's role keeps only SELECT and INSERT.

Run once per database by a role that may create roles and owns the tables
today (the platform's admin user), where the platform allows a second role.
Afterwards the app's role cannot UPDATE, DELETE, TRUNCATE, ALTER TABLE ...
DISABLE TRIGGER or drop the tables: only the owner role can, and nobody logs in
as it (NOLOGIN). Migrations that alter these tables must then run as a member
of the owner role (docs/deploy.md, "Audit tables owned by another role").
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

TABLES = ("audit_auditevent", "audit_auditleaf", "audit_auditnode", "audit_auditcheckpoint")
FUNCTIONS = ("audit_event_append_only()",)


def harden_statements(*, owner_role: str, app_role: str) -> list[str]:
    """The SQL, in order (identifiers quoted)."""
    quote = connection.ops.quote_name
    owner, app = quote(owner_role), quote(app_role)
    create = (
        f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{owner_role}') "  # noqa: S608
        f"THEN CREATE ROLE {owner} NOLOGIN; END IF; END $$"
    )
    statements = [create]
    for function in FUNCTIONS:
        statements.append(f"ALTER FUNCTION {function} OWNER TO {owner}")
    for table in TABLES:
        # The table's identity sequence follows its owner.
        statements += [
            f"ALTER TABLE {table} OWNER TO {owner}",
            f"REVOKE ALL ON TABLE {table} FROM PUBLIC",
            f"REVOKE ALL ON TABLE {table} FROM {app}",
            f"GRANT SELECT, INSERT ON TABLE {table} TO {app}",
        ]
    statements += [
        f"GRANT USAGE ON SEQUENCE audit_auditevent_id_seq TO {app}",
        f"GRANT USAGE ON SEQUENCE audit_auditnode_id_seq TO {app}",
        f"GRANT USAGE ON SEQUENCE audit_auditcheckpoint_id_seq TO {app}",
    ]
    return statements


class Command(BaseCommand):
    help = "PostgreSQL: make the audit tables owned by another role; the app role may only SELECT and INSERT."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--app-role", required=True, help="the role the application connects as")
        parser.add_argument("--owner-role", default="clinicops_audit_owner", help="the new owner (NOLOGIN)")
        parser.add_argument("--dry-run", action="store_true", help="print the SQL without running it")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("audit_harden_roles needs PostgreSQL")
        app_role, owner_role = options["app_role"], options["owner_role"]
        if app_role == owner_role:
            raise CommandError("the owner role must differ from the app role")
        for name in (app_role, owner_role):
            if not name.replace("_", "").isalnum():
                raise CommandError(f"role names are letters, digits and underscores: {name!r}")
        statements = harden_statements(owner_role=owner_role, app_role=app_role)
        if options["dry_run"]:
            for statement in statements:
                self.stdout.write(statement + ";")
            return
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [app_role])
            row = cursor.fetchone()
            if row is None:
                raise CommandError(f"no role {app_role!r}")
            if row[0]:
                raise CommandError(f"{app_role!r} is a superuser: no privilege can be taken from it")
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(f"audit tables owned by {owner_role}; {app_role} may SELECT and INSERT only")
