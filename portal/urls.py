from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

# The admin in the portal's name and language (Django's own words are already translated).
admin.site.site_header = _("Posko administration")
admin.site.site_title = _("Posko administration")
admin.site.index_title = _("People, agencies, facilities and cameras")

urlpatterns = [
    path("", include("apps.core.urls")),
    path("akun/", include("apps.accounts.urls")),
    path("", include("apps.overview.urls")),
    path("peringatan/", include("apps.alerts.urls")),
    path("notifikasi/", include("apps.notifications.urls")),
    path("", include("apps.cameras.urls")),
    path("pantauan/", include("apps.live.urls")),
    path("rekaman/", include("apps.recordings.urls")),
    path("rekaman/", include("apps.recordings.review_urls")),
    path("ekspor-bukti/", include("apps.recordings.export_urls")),
    path("", include("apps.duty.urls")),
    path("", include("apps.records.urls")),
    path("api/", include("apps.api.urls")),
    path("", include("apps.integrations.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler400 = "apps.core.views.error_400"
handler403 = "apps.core.views.error_403"
handler404 = "apps.core.views.error_404"
handler500 = "apps.core.views.error_500"
