from django.urls import path

from apps.recordings import export_views as views

app_name = "exports"

urlpatterns = [
    path("", views.export_list, name="list"),
    path("baru/", views.export_create, name="create"),
    path("<int:pk>/", views.export_detail, name="detail"),
    path("<int:pk>/bukti.zip", views.export_download, name="download"),
    path("<int:pk>/insiden/", views.export_attach, name="attach"),
    path("penahanan/<int:pk>/lepas/", views.hold_release, name="release"),
]
