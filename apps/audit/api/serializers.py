from typing import Any

from rest_framework import serializers

from apps.audit.models import AuditCheckpoint, AuditEvent
from apps.core.filters import IdParam, ListFilter


class AuditEventOutput(serializers.ModelSerializer[AuditEvent]):
    id = serializers.UUIDField(source="event_id")
    actor = serializers.UUIDField(source="actor_id", allow_null=True)
    clinic = serializers.UUIDField(source="clinic_id", allow_null=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor",
            "clinic",
            "action",
            "resource_type",
            "resource_id",
            "ip",
            "request_id",
            "changes",
        ]


class AuditEventListFilter(ListFilter):
    resource_type = serializers.CharField(required=False, allow_blank=True, max_length=64)
    resource_id = serializers.CharField(required=False, allow_blank=True, max_length=64)
    action = serializers.CharField(required=False, allow_blank=True, max_length=64)
    actor = IdParam(help_text="Events by this user.")


class CheckpointOutput(serializers.Serializer[AuditCheckpoint]):
    """A signed checkpoint exactly as published (apps.audit.checkpoint_format.SignedCheckpoint.as_dict)."""

    log = serializers.CharField()
    tree_size = serializers.IntegerField()
    root_hash = serializers.CharField(help_text="hex SHA-256 Merkle tree hash (RFC 9162)")
    prev_checkpoint_hash = serializers.CharField()
    sealed_at = serializers.CharField(help_text="ISO 8601 UTC, microseconds: part of the signed bytes")
    checkpoint_hash = serializers.CharField(help_text="hex SHA-256 of the signed bytes")
    key_id = serializers.CharField()
    signature = serializers.CharField(help_text="base64 Ed25519 signature of the signed bytes")

    def to_representation(self, instance: AuditCheckpoint) -> dict[str, Any]:
        return instance.signed().as_dict()


class InclusionProofOutput(serializers.Serializer[Any]):
    event = serializers.UUIDField()
    log_index = serializers.IntegerField()
    tree_size = serializers.IntegerField()
    entry = serializers.CharField(help_text="the canonical event bytes (UTF-8) the leaf hashes")
    leaf_hash = serializers.CharField(help_text="hex SHA-256(0x00 || entry)")
    inclusion_path = serializers.ListField(child=serializers.CharField(), help_text="hex hashes, leaf side first")
    checkpoint = CheckpointOutput()


class ConsistencyProofOutput(serializers.Serializer[Any]):
    first = serializers.IntegerField()
    second = serializers.IntegerField()
    consistency_path = serializers.ListField(child=serializers.CharField(), help_text="hex hashes (RFC 9162 2.1.4)")
    first_checkpoint = CheckpointOutput()
    second_checkpoint = CheckpointOutput()
