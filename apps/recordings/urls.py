from django.urls import path

from apps.recordings import views

app_name = "recordings"

urlpatterns = [
    path("segmen/<int:pk>/", views.segment, name="segment"),
]
