"""Reads about the signed-in user."""

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.clinics.models import Membership


def user_memberships(*, user: User) -> QuerySet[Membership]:
    """The user's clinics and roles, with the clinic loaded in the same query."""
    return Membership.objects.filter(user=user).select_related("clinic").order_by("clinic__name")
