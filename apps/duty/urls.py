from django.urls import path

from apps.duty import safety_views, views

app_name = "duty"

urlpatterns = [
    path("tugas-saya/", views.my_duty, name="my_duty"),
    path("tugas-saya/sif/<int:pk>/masuk/", views.check_in, name="check_in"),
    path("tugas-saya/sif/<int:pk>/keluar/", views.check_out, name="check_out"),
    path("tugas-saya/sif/<int:pk>/aman/", safety_views.safe_confirm, name="safe_confirm"),
    path("jaga/kehadiran/<int:pk>/foto/", views.attendance_photo, name="attendance_photo"),
    path("jaga/pos/", views.post_list, name="posts"),
    path("jaga/objek/<int:pk>/pos/", views.post_create, name="post_create"),
    path("jaga/pos/<int:pk>/", views.roster, name="roster"),
    path("jaga/pos/<int:pk>/standar/", views.standards, name="standards"),
    path("jaga/pos/<int:pk>/sif/", views.shift_create, name="shift_create"),
    path("jaga/pos/<int:pk>/buat-jadwal/", views.roster_generate, name="roster_generate"),
    path("jaga/pos/<int:pk>/terbitkan/", views.roster_publish, name="roster_publish"),
    path("jaga/pos/<int:pk>/cek-aman/", safety_views.post_lone_check, name="post_lone_check"),
    path("jaga/standar/<int:pk>/akhiri/", views.standard_end, name="standard_end"),
    path("jaga/sif/<int:pk>/", views.shift_edit, name="shift_edit"),
    path("jaga/sif/<int:pk>/hapus/", views.shift_delete, name="shift_delete"),
    path("cakupan/", views.coverage, name="coverage"),
    path("cakupan/ekspor.csv", views.coverage_csv, name="coverage_csv"),
    path("cakupan/laporan.pdf", views.coverage_pdf, name="coverage_pdf"),
    path("cakupan/objek/<int:pk>/", views.coverage_cell, name="coverage_cell"),
]
