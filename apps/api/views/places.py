from __future__ import annotations

from django.db.models import Prefetch

from apps.access import policy
from apps.api import filters
from apps.api.serializers.places import FacilitySerializer, OperationSerializer
from apps.api.views.base import ReadOnlyViewSet
from apps.places.models import Facility, Operation


class FacilityViewSet(ReadOnlyViewSet):
    """Facilities the person may see (an operator of one city never lists another's)."""

    queryset = Facility.objects.select_related("region", "owner_agency")
    serializer_class = FacilitySerializer
    filterset_class = filters.FacilityFilter
    ordering_fields = ["id", "name", "kind", "status"]
    ordering = ["name", "id"]


class OperationViewSet(ReadOnlyViewSet):
    """Security operations; each lists only the facilities the person may see."""

    queryset = Operation.objects.select_related("responsible_agency")
    serializer_class = OperationSerializer
    filterset_class = filters.OperationFilter
    ordering_fields = ["id", "name", "starts_on", "ends_on"]
    ordering = ["-starts_on", "id"]

    def get_queryset(self):
        visible = policy.scope(self.request.user, Facility.objects.only("id"))
        return super().get_queryset().prefetch_related(
            Prefetch("facilities", queryset=visible, to_attr="visible_facilities"))
