from django.urls import path

from apps.recordings import review

app_name = "review"

urlpatterns = [
    path("", review.index, name="index"),
    path("kamera/<int:camera_id>/", review.camera, name="camera"),
    path("objek/<int:facility_id>/", review.facility, name="facility"),
]
