from django.urls import path

from apps.notifications import views

app_name = "notifications"

urlpatterns = [
    path("perangkat/", views.devices, name="devices"),
    path("perangkat/daftar/", views.subscribe, name="subscribe"),
    path("perangkat/<int:pk>/hapus/", views.remove, name="remove"),
    path("akui/", views.acknowledge, name="acknowledge"),
]
