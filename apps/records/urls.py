from django.urls import path

from apps.records.views import checkpoints, checks, field, incidents, reports

app_name = "records"

urlpatterns = [
    # Field pages (phone).
    path("patroli/", field.my_patrol, name="my_patrol"),
    path("patroli/kunjungan/", field.visit_submit, name="visit_submit"),
    path("patroli/mulai/", field.patrol_start, name="patrol_start"),
    path("patroli/<int:pk>/", field.patrol_detail, name="patrol_detail"),
    path("patroli/<int:pk>/selesai/", field.patrol_end, name="patrol_end"),
    path("patroli/kunjungan/<int:pk>/", field.visit_detail, name="visit_detail"),
    path("patroli/kunjungan/<int:pk>/koreksi/", field.visit_amend, name="visit_amend"),
    path("catatan/foto/<int:pk>.jpg", field.photo, name="photo"),
    path("sw.js", field.service_worker, name="service_worker"),
    path("manifest.webmanifest", field.manifest, name="manifest"),
    # Checkpoints and their labels.
    path("titik-pantau/", checkpoints.checkpoint_list, name="checkpoints"),
    path("titik-pantau/objek/<int:pk>/tambah/", checkpoints.checkpoint_create,
         name="checkpoint_create"),
    path("titik-pantau/objek/<int:pk>/label/", checkpoints.checkpoint_labels,
         name="checkpoint_labels"),
    path("titik-pantau/<int:pk>/label-baru/", checkpoints.checkpoint_relabel,
         name="checkpoint_relabel"),
    # Joint warehouse checks.
    path("pengecekan-gudang/", checks.check_list, name="checks"),
    path("pengecekan-gudang/objek/<int:pk>/baru/", checks.check_create, name="check_create"),
    path("pengecekan-gudang/<int:pk>/", checks.check_detail, name="check_detail"),
    path("pengecekan-gudang/<int:pk>/tanda-tangan/", checks.check_sign, name="check_sign"),
    # Incidents.
    path("insiden/", incidents.incident_list, name="incidents"),
    path("insiden/baru/", incidents.incident_create, name="incident_create"),
    path("insiden/<int:pk>/", incidents.incident_detail, name="incident_detail"),
    path("insiden/<int:pk>/langkah/", incidents.incident_step, name="incident_step"),
    path("insiden/<int:pk>/tautkan/", incidents.incident_link, name="incident_link"),
    path("insiden/<int:pk>/bukti/", incidents.incident_attach, name="incident_attach"),
    path("insiden/<int:pk>/koreksi/", incidents.incident_amend, name="incident_amend"),
    path("insiden/<int:pk>/bingkai/<str:kind>/<int:frame_id>.jpg", incidents.candidate_frame,
         name="candidate_frame"),
    path("insiden/<int:pk>/bingkai/<str:kind>/<int:frame_id>-kecil.jpg",
         incidents.candidate_thumbnail, name="candidate_thumbnail"),
    path("insiden/bukti/<int:pk>.jpg", incidents.evidence_image, name="evidence_image"),
    path("lapor/", incidents.tip, name="tip"),
    # Commanders and administrators.
    path("kepatuhan-patroli/", reports.compliance, name="compliance"),
    path("laporan-harian/", reports.daily, name="daily"),
    path("laporan-harian/ekspor.csv", reports.daily_csv, name="daily_csv"),
    path("laporan-harian/laporan.pdf", reports.daily_pdf, name="daily_pdf"),
    path("integritas-catatan/", reports.integrity, name="integrity"),
]
