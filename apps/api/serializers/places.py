"""Facilities and operations (read only: they are set up in the admin)."""

from __future__ import annotations

from rest_framework import serializers

from apps.api.serializers.base import ModelSerializer, NameField
from apps.places.models import Facility, Operation


class FacilitySerializer(ModelSerializer):
    region_name = NameField("region")
    owner_agency_name = NameField("owner_agency")
    time_zone = serializers.CharField(source="region.timezone", read_only=True)
    latitude = serializers.FloatField(read_only=True, allow_null=True)
    longitude = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Facility
        fields = ["id", "name", "kind", "status", "address", "latitude", "longitude", "region",
                  "region_name", "time_zone", "owner_agency", "owner_agency_name"]
        read_only_fields = fields


class OperationSerializer(ModelSerializer):
    responsible_agency_name = NameField("responsible_agency")
    facilities = serializers.SerializerMethodField()

    class Meta:
        model = Operation
        fields = ["id", "name", "responsible_agency", "responsible_agency_name", "starts_on",
                  "ends_on", "min_guards", "patrol_interval_hours", "facilities"]
        read_only_fields = fields

    def get_facilities(self, operation) -> list[int]:
        """Only the facilities of the operation that the person may see."""
        return [f.pk for f in getattr(operation, "visible_facilities", [])]
