from rest_framework.pagination import CursorPagination, PageNumberPagination


class PagePagination(PageNumberPagination):
    """`?page=2&page_size=100`; 50 by default, 200 at most."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class _RecordCursor(CursorPagination):
    page_size = PagePagination.page_size
    page_size_query_param = PagePagination.page_size_query_param
    max_page_size = PagePagination.max_page_size
    ordering = "-id"  # only when the view names no ordering; the views name theirs


class RecordPagination(PagePagination):
    """For the lists that grow with the history (camera view records, patrols and their
    visits, alerts, shifts). Without `?page=` a list is walked by cursor: `next` and
    `previous` carry an opaque `?cursor=`, each page reads only its own rows from the index on
    the ordering, and there is no `count` (counting a city's months of records on every page
    cost more than the page). `?page=N` still answers the numbered page with its `count`, as
    before, for clients that need it; with a period filter that count stays small."""

    def __init__(self):
        self._cursor: _RecordCursor | None = None

    def paginate_queryset(self, queryset, request, view=None):
        if self.page_query_param in request.query_params:
            self._cursor = None
            return super().paginate_queryset(queryset, request, view)
        self._cursor = _RecordCursor()
        return self._cursor.paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        if self._cursor is not None:
            return self._cursor.get_paginated_response(data)
        return super().get_paginated_response(data)

    def get_paginated_response_schema(self, schema):
        paged = super().get_paginated_response_schema(schema)
        paged["properties"]["count"]["description"] = "Only with ?page= (numbered pages)."
        paged["required"] = ["results"]
        return paged

    def get_schema_operation_parameters(self, view):
        cursor = _RecordCursor().get_schema_operation_parameters(view)
        numbered = super().get_schema_operation_parameters(view)
        names = {p["name"] for p in cursor}
        for parameter in numbered:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["description"] = (
                    "A numbered page with the total count; without it the list is walked "
                    "by cursor (follow `next`).")
            if parameter["name"] not in names:
                cursor.append(parameter)
        return cursor
