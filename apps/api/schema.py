"""The OpenAPI schema documents the error answers too (apps.api.errors), so clients and
schemathesis can check them against the schema like any other answer."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

from apps.api.errors import ErrorSerializer


class AutoSchema(SpectacularAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["400", "401", "403", "404"]  # 404 on lists too: a page past the end
        writes = self.method in ("POST", "PUT", "PATCH")
        if writes and getattr(self.view, "idempotent_writes", False):
            codes.append("409")
        for code in codes:
            responses.setdefault(code, self._get_response_for_code(ErrorSerializer, code,
                                                                   direction=direction))
        return responses
