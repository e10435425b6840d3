"""OpenAPI description of our JWT authentication (a subclass simplejwt's extension does not see)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class ClinicOpsJWTScheme(SimpleJWTScheme):
    target_class = "apps.accounts.authentication.JWTAuthentication"
    name = "jwtAuth"
