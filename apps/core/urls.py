from django.urls import path

from apps.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("pantauan/", views.wall, name="wall"),
    path("tugas-saya/", views.my_duty, name="my_duty"),
    path("cakupan/", views.coverage, name="coverage"),
    path("healthz", views.healthz, name="healthz"),
]
