from django.urls import path

from apps.cameras import views

app_name = "cameras"

urlpatterns = [
    path("kamera/<int:pk>/", views.detail, name="detail"),
    path("kamera/<int:pk>/snapshot.jpg", views.snapshot, name="snapshot"),
    path("kamera/<int:pk>/ubah/", views.edit, name="edit"),
    path("objek/<int:facility_pk>/kamera/baru/", views.create, name="create"),
    path("kamera/<int:pk>/bagikan/", views.share, name="share"),
    path("kamera/berbagi/<int:pk>/cabut/", views.revoke, name="revoke"),
    path("kamera/catatan-akses/", views.access_record, name="access_record"),
]
