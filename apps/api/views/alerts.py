from __future__ import annotations

from django.db.models import F
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from apps.access import policy
from apps.alerts import redaction, services
from apps.alerts.models import Alert
from apps.api import filters
from apps.api.idempotency import PARAMETER, idempotent
from apps.api.pagination import RecordPagination
from apps.api.serializers.alerts import (
    AlertAssignSerializer,
    AlertCommentSerializer,
    AlertDetailSerializer,
    AlertResolveSerializer,
    AlertSerializer,
)
from apps.api.views.base import ReadOnlyViewSet
from apps.api.views.cameras import validated


class AlertViewSet(ReadOnlyViewSet):
    """Alerts at the facilities the person may see. One raised by a camera the person may not
    view comes without the camera, its name or its detail (apps.alerts.redaction). Acting on
    an alert goes through apps.alerts.services, which asks the policy (403 if not allowed)."""

    queryset = Alert.objects.select_related("facility", "camera", "assigned_to")
    serializer_class = AlertSerializer
    filterset_class = filters.AlertFilter
    ordering_fields = ["id", "last_raised_at", "first_raised_at", "severity", "seq"]
    ordering = ["-last_raised_at", "-id"]
    pagination_class = RecordPagination  # a year of alerts: walked by cursor, no count
    idempotent_writes = True

    def get_serializer_class(self):
        return AlertSerializer if self.action == "list" else AlertDetailSerializer

    def get_queryset(self):
        # "seq" (the public name of last_seq) is orderable.
        return super().get_queryset().annotate(seq=F("last_seq"))

    def prepare(self, objects: list) -> list:
        return redaction.for_viewer(objects, self.request.user)

    def _done(self, alert):
        fresh = self.get_queryset().get(pk=alert.pk)
        return self.respond(fresh, 200, AlertDetailSerializer)

    @extend_schema(request=AlertCommentSerializer, responses={200: AlertDetailSerializer},
                   parameters=[PARAMETER])
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    @idempotent
    def acknowledge(self, request, pk=None):
        alert = self.get_object()
        data = validated(AlertCommentSerializer, request)
        alert = services.alert_acknowledge(alert=alert, user=request.user,
                                           comment=data["comment"])
        return self._done(alert)

    @extend_schema(request=AlertAssignSerializer, responses={200: AlertDetailSerializer},
                   parameters=[PARAMETER])
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    @idempotent
    def assign(self, request, pk=None):
        alert = self.get_object()
        data = validated(AlertAssignSerializer, request)
        assignee = policy.alert_assignees(alert).filter(pk=data["assignee"]).first()
        if assignee is None:
            raise serializers.ValidationError(
                {"assignee": [_("This person cannot be assigned this alert.")]},
                code="does_not_exist")
        alert = services.alert_assign(alert=alert, user=request.user, assignee=assignee,
                                      comment=data["comment"])
        return self._done(alert)

    @extend_schema(request=AlertResolveSerializer, responses={200: AlertDetailSerializer},
                   parameters=[PARAMETER])
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    @idempotent
    def resolve(self, request, pk=None):
        alert = self.get_object()
        data = validated(AlertResolveSerializer, request)
        try:
            alert = services.alert_resolve(alert=alert, user=request.user,
                                           comment=data["comment"])
        except ValueError as error:
            raise serializers.ValidationError({"comment": [str(error)]}) from None
        return self._done(alert)
