"""A camera's recordings for review: its segments (each with the URL that plays it) and the
markers of what happened in them, as far as the person may review (apps.recordings)."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from apps.api.serializers.base import Serializer


class ReviewCameraSerializer(Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    facility = serializers.IntegerField(source="facility_id")
    facility_name = serializers.CharField(source="facility.name")
    timezone = serializers.CharField(source="facility.region.timezone",
                                     help_text="The facility's IANA zone (e.g. Asia/Jakarta).")


class SegmentSerializer(Serializer):
    id = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    def get_url(self, segment) -> str:
        """The MP4 (byte ranges answered); each playback is recorded in the owner's access
        record."""
        return reverse("recordings:segment", args=[segment.pk])


class MarkerSerializer(Serializer):
    kind = serializers.ChoiceField(choices=["motion", "tamper", "alert"])
    at = serializers.DateTimeField(help_text="For motion and tamper, the start of the "
                                             "segment they happened in.")
    alert_id = serializers.IntegerField(required=False)
    title = serializers.CharField(required=False)

    def to_representation(self, marker):
        data = super().to_representation(marker)
        if marker.alert_id is None:
            data.pop("alert_id")
            data.pop("title")
        return data


class TimelineSerializer(Serializer):
    camera = ReviewCameraSerializer()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    segments = SegmentSerializer(many=True)
    markers = MarkerSerializer(many=True)
    masked = serializers.BooleanField(help_text="Privacy masks are burned into what this "
                                                "person is served.")
    piece_seconds = serializers.FloatField(allow_null=True, help_text=(
        "For masked footage (else null): each segment is also served in pieces of this many "
        "seconds, `url?bagian=N` being the N-th (from its start plus N pieces to the next "
        "piece or the segment's end; each plays from 0). The first picture waits for a "
        "piece to be masked, not the whole segment."))
