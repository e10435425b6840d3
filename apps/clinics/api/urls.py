from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.clinics.api.invitations import InvitationAcceptApi, InvitationViewSet
from apps.clinics.api.views import ClinicViewSet, MeApi, MemberViewSet

router = SimpleRouter(use_regex_path=False)
router.register("clinics", ClinicViewSet, basename="clinic")

# People join through invitations (their consent), not by being added.
members = MemberViewSet.as_view({"get": "list"})
invitation_list = InvitationViewSet.as_view({"get": "list", "post": "create"})
invitation_revoke = InvitationViewSet.as_view({"post": "revoke"})
member = MemberViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"})

urlpatterns = [
    # The caller's profile and clinics: memberships are this app's, so the route is too.
    path("auth/me/", MeApi.as_view(), name="auth-me"),
    *router.urls,
    path("clinics/<uuid:clinic_pk>/members/", members, name="clinic-members"),
    path("clinics/<uuid:clinic_pk>/members/<uuid:pk>/", member, name="clinic-member"),
    path("clinics/<uuid:clinic_pk>/invitations/", invitation_list, name="clinic-invitations"),
    path("clinics/<uuid:clinic_pk>/invitations/<uuid:pk>/revoke/", invitation_revoke, name="clinic-invitation-revoke"),
    path("invitations/accept/", InvitationAcceptApi.as_view(), name="invitation-accept"),
]
