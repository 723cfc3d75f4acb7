from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.serializers.recordings import TimelineSerializer
from apps.recordings import selectors


class CameraRecordingsView(APIView):
    """A camera's recordings over one span (a facility-local day unless `end` is given; at
    most 25 hours): the segments the person may review and the markers of motion, tampering
    and alerts in them. 404 for a camera whose recordings the person may not review."""

    @extend_schema(
        parameters=[
            OpenApiParameter("camera_id", OpenApiTypes.INT, OpenApiParameter.PATH),
            OpenApiParameter("start", OpenApiTypes.STR, description=(
                "ISO 8601 time with its UTC offset, or a date (YYYY-MM-DD). Without `end`, "
                "the facility-local day of `start`; without either, today.")),
            OpenApiParameter("end", OpenApiTypes.STR, description=(
                "ISO 8601 time with its UTC offset, or a date; at most 25 hours after "
                "`start`.")),
        ],
        responses={200: TimelineSerializer},
    )
    def get(self, request, camera_id: str):
        camera = selectors.reviewable_camera(request.user, camera_id)
        start, end = selectors.timeline_span(camera, request.query_params.get("start"),
                                             request.query_params.get("end"), timezone.now())
        found = selectors.timeline(request.user, camera, start, end)
        return Response(TimelineSerializer(found).data)
