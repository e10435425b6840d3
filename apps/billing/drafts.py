"""Who may change a draft: the billing roles any draft, the other roles that create drafts their own.

DESIGN.md: receptionists create, issue and take payments. A receptionist who
created a draft must be able to correct or delete it before it is issued
(else a typo strands it); other people's drafts stay with billing.
"""

from apps.accounts.models import User
from apps.billing.models import Invoice
from apps.core.errors import ForbiddenError
from apps.core.roles import WRITE, Role, role_may
from apps.core.tenancy import clinic_roles  # per request, cached on the user


def require_draft_writer(*, actor: User, invoice: Invoice) -> None:
    """403 unless the actor may write any invoice here, or created this draft and may write their own."""
    role: Role | None = clinic_roles(actor).get(invoice.clinic_id)
    if role_may(role, "invoices", WRITE):
        return
    if role_may(role, "invoices", "write_own_draft") and invoice.created_by_id == actor.pk:
        return
    raise ForbiddenError(
        f"Your role ({role.value if role else 'none'}) may change only the drafts you created.",
        code="not_your_draft",
    )
