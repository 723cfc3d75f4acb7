"""Pages of apps.integrations (namespace `integrations`): API tokens, webhooks."""

from django.urls import path

from apps.integrations import pages

app_name = "integrations"

urlpatterns = [
    path("akun/token-api/", pages.token_list, name="tokens"),
    path("akun/token-api/<int:pk>/cabut/", pages.token_revoke, name="token_revoke"),
    path("integrasi/webhook/", pages.webhook_list, name="webhooks"),
    path("integrasi/webhook/<int:pk>/", pages.webhook_detail, name="webhook"),
]
