from django.urls import path

from apps.live import views

app_name = "live"

urlpatterns = [
    path("", views.wall, name="wall"),
    path("tata-letak/", views.save_layout, name="save_layout"),
]
