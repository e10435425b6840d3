"""Shapes of the duplicates review list and of merges (the actions live on PatientViewSet)."""

from typing import Any

from rest_framework import serializers

from apps.core.serializers import StrictInputSerializer
from apps.patients.models import Patient, PatientMerge


class DuplicatesQuery(StrictInputSerializer):
    clinic = serializers.UUIDField(
        required=False, help_text="Only this clinic (default: every clinic you may merge in)."
    )


class PatientBriefOutput(serializers.ModelSerializer[Patient]):
    class Meta:
        model = Patient
        fields = ["id", "mrn", "given_name", "family_name", "date_of_birth"]


class DuplicatePairOutput(serializers.Serializer[Any]):
    first = PatientBriefOutput()
    second = PatientBriefOutput()
    reason = serializers.ChoiceField(choices=["similar_name", "same_phone"])
    similarity = serializers.FloatField(help_text="Trigram similarity of the names, 0 to 1.")


class DuplicatePairsOutput(serializers.Serializer[Any]):
    results = DuplicatePairOutput(many=True)


class MergeInput(StrictInputSerializer):
    merged = serializers.UUIDField(help_text="The duplicate record that goes; the URL's record survives.")
    reason = serializers.CharField(max_length=1000)


class MergeOutput(serializers.ModelSerializer[PatientMerge]):
    moved = serializers.SerializerMethodField(help_text="Rows moved per table.")

    class Meta:
        model = PatientMerge
        fields = ["id", "survivor", "merged", "reason", "moved", "created_at", "unmerged_at"]

    def get_moved(self, merge: PatientMerge) -> dict[str, int]:
        return {table: len(ids) for table, ids in merge.moved.items()}
