from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from apps.access import policy
from apps.api import filters
from apps.api.idempotency import PARAMETER, idempotent
from apps.api.pagination import RecordPagination
from apps.api.serializers.cameras import (
    CameraSerializer,
    CameraShareSerializer,
    ShareGrantSerializer,
    ShareRevokeSerializer,
    ViewRecordSerializer,
)
from apps.api.views.base import ReadOnlyViewSet
from apps.cameras import services
from apps.cameras.models import Camera, CameraShare, ViewRecord
from apps.cameras.records import record_view
from apps.core.private_files import private_image, refuse_cross_site
from apps.places.models import Operation
from apps.streams import frames


def validated(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def scoped_pk(user, queryset, pk, *, field: str, action=policy.Action.VIEW, message: str):
    """An object named in a request body: one the person may reach, or a field error that
    reads the same for a missing and a forbidden id."""
    found = policy.scope(user, queryset, action).filter(pk=pk).first()
    if found is None:
        raise serializers.ValidationError({field: [message]}, code="does_not_exist")
    return found


class MarkCameraVisibility:
    def prepare(self, objects: list) -> list:
        visible = policy.viewable_camera_ids(self.request.user, {o.camera_id for o in objects})
        for obj in objects:
            obj.camera_visible = obj.camera_id in visible
        return objects


class CameraViewSet(ReadOnlyViewSet):
    """Cameras the person may view: owners their own (inward ones too), security staff only
    outward cameras shared with their agency. Never an address or a credential."""

    queryset = Camera.objects.select_related("facility", "health")
    serializer_class = CameraSerializer
    filterset_class = filters.CameraFilter
    ordering_fields = ["id", "name", "facility"]
    ordering = ["facility__name", "name", "id"]

    def perform_content_negotiation(self, request, force=False):
        # The snapshot answers JPEG; its errors are JSON whatever the client accepts.
        return super().perform_content_negotiation(request, force=force or
                                                   self.action == "snapshot")

    @extend_schema(
        responses={(200, "image/jpeg"): OpenApiResponse(OpenApiTypes.BINARY,
                                                        description="The latest frame.")},
        description="The latest frame (JPEG, privacy masks burned in). Each fetch is "
                    "recorded in the owner's view record; never cached.")
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def snapshot(self, request, pk=None):
        refuse_cross_site(request)  # before any work for another site's page
        camera = self.get_object()
        latest = frames.latest_for(request.user, camera)
        if latest is None:
            raise Http404
        data, modified = latest
        response = private_image(request, data, f"kamera-{camera.pk}.jpg",
                                 last_modified=modified)
        record_view(request=request, camera=camera, kind=ViewRecord.Kind.SNAPSHOT)
        return response


class CameraShareViewSet(MarkCameraVisibility, ReadOnlyViewSet):
    """Shares of outward cameras: the owner agency grants and revokes them (apps.cameras
    .services); the grantee agency sees what it was given."""

    queryset = CameraShare.objects.select_related("camera", "grantee", "granted_by")
    serializer_class = CameraShareSerializer
    filterset_class = filters.CameraShareFilter
    ordering_fields = ["id", "granted_at", "valid_from", "valid_until"]
    ordering = ["-granted_at", "-id"]
    idempotent_writes = True

    @extend_schema(request=ShareGrantSerializer, responses={201: CameraShareSerializer},
                   parameters=[PARAMETER])
    @idempotent
    def create(self, request):
        data = validated(ShareGrantSerializer, request)
        user = request.user
        camera = scoped_pk(user, Camera.objects.all(), data["camera"], field="camera",
                           action=policy.Action.MANAGE, message=_("Unknown camera."))
        # The agencies the share form offers, and only those.
        grantee = policy.share_grantees(user, camera).filter(pk=data["grantee"]).first()
        if grantee is None:
            raise serializers.ValidationError(
                {"grantee": [_("This camera cannot be shared with this agency.")]},
                code="does_not_exist")
        operation = None
        if data.get("operation"):
            operation = scoped_pk(user, Operation.objects.all(), data["operation"],
                                  field="operation", message=_("Unknown operation."))
        share = services.share_grant(
            camera=camera, grantee=grantee, basis=data["basis"], by=user, operation=operation,
            valid_from=data.get("valid_from"), valid_until=data.get("valid_until"),
            recordings=data["recordings"])
        return self.respond(share, 201)

    @extend_schema(request=ShareRevokeSerializer, responses={200: CameraShareSerializer},
                   parameters=[PARAMETER])
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    @idempotent
    def revoke(self, request, pk=None):
        share = self.get_object()
        data = validated(ShareRevokeSerializer, request)
        share = services.share_revoke(share=share, by=request.user, reason=data["reason"])
        return self.respond(share, 200, CameraShareSerializer)


class ViewRecordViewSet(MarkCameraVisibility, ReadOnlyViewSet):
    """Who viewed which camera, when and from where: owners see the record of their cameras,
    everyone their own views."""

    queryset = ViewRecord.objects.select_related("camera", "viewer", "viewer_agency")
    serializer_class = ViewRecordSerializer
    filterset_class = filters.ViewRecordFilter
    ordering_fields = ["id", "started_at"]
    ordering = ["-started_at", "-id"]
    pagination_class = RecordPagination  # months of views: walked by cursor, no count
