"""What every API view shares: querysets through the access policy, and one 404."""

from __future__ import annotations

from django.http import Http404
from rest_framework import mixins, viewsets
from rest_framework.response import Response

from apps.access import policy


class ScopedViewSet(viewsets.GenericViewSet):
    """Lists and looks up only what the person may see: `policy.scope` filters the query
    itself (never a check after the fact), so a list and a detail cannot disagree, and an id
    the person may not see answers exactly like one that does not exist."""

    queryset = None  # the unscoped base query (with its select_related)
    filterset_class = None
    ordering_fields: list[str] = []
    ordering: list[str] | None = None

    def get_queryset(self):
        return policy.scope(self.request.user, self.queryset.all(), policy.Action.VIEW)

    def get_object(self):
        try:
            return super().get_object()
        except (ValueError, TypeError, OverflowError):
            raise Http404 from None

    def prepare(self, objects: list) -> list:
        """The objects as this person may see them (e.g. alerts without a hidden camera)."""
        return objects

    def respond(self, obj, status: int = 200, serializer_class=None) -> Response:
        serializer_class = serializer_class or self.get_serializer_class()
        shown = self.prepare([obj])[0]
        return Response(serializer_class(shown, context=self.get_serializer_context()).data,
                        status=status)


class ListModelMixin(mixins.ListModelMixin):
    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        serializer = self.get_serializer(self.prepare(list(page)), many=True)
        return self.get_paginated_response(serializer.data)


class RetrieveModelMixin(mixins.RetrieveModelMixin):
    def retrieve(self, request, *args, **kwargs):
        return self.respond(self.get_object())


class ReadOnlyViewSet(ListModelMixin, RetrieveModelMixin, ScopedViewSet):
    pass
