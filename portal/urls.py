from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("apps.core.urls")),
    path("akun/", include("apps.accounts.urls")),
    path("", include("apps.places.urls")),
    path("peringatan/", include("apps.alerts.urls")),
    path("", include("apps.cameras.urls")),
    path("pantauan/", include("apps.live.urls")),
    path("", include("apps.duty.urls")),
    path("", include("apps.records.urls")),
    path("api/", include("apps.api.urls")),
    path("", include("apps.api.page_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler400 = "apps.core.views.error_400"
handler403 = "apps.core.views.error_403"
handler404 = "apps.core.views.error_404"
handler500 = "apps.core.views.error_500"
