"""/api/: the JSON API (namespace `api`), its schema and its documentation page."""

from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.routers import SimpleRouter

from apps.api.views import alerts, cameras, docs, duty, places, recordings, records

app_name = "api"

router = SimpleRouter()
router.register("facilities", places.FacilityViewSet, basename="facility")
router.register("operations", places.OperationViewSet, basename="operation")
router.register("cameras", cameras.CameraViewSet, basename="camera")
router.register("camera-shares", cameras.CameraShareViewSet, basename="camera-share")
router.register("view-records", cameras.ViewRecordViewSet, basename="view-record")
router.register("alerts", alerts.AlertViewSet, basename="alert")
router.register("guard-posts", duty.GuardPostViewSet, basename="guard-post")
router.register("shifts", duty.ShiftViewSet, basename="shift")
router.register("check-ins", duty.AttendanceViewSet, basename="check-in")
router.register("checkpoints", records.CheckpointViewSet, basename="checkpoint")
router.register("patrols", records.PatrolViewSet, basename="patrol")
router.register("patrol-visits", records.PatrolVisitViewSet, basename="patrol-visit")
router.register("warehouse-checks", records.WarehouseCheckViewSet, basename="warehouse-check")
router.register("incidents", records.IncidentViewSet, basename="incident")

urlpatterns = [
    path("schema/", SpectacularJSONAPIView.as_view(), name="schema"),
    path("docs/", docs.docs, name="docs"),
    path("sync/patrol-visits/", records.SyncVisitsView.as_view(), name="sync-visits"),
    path("panic/", duty.PanicView.as_view(), name="panic"),
    # Any text as the id, like the router's lookups: a malformed id answers the API's 404.
    path("recordings/cameras/<str:camera_id>/", recordings.CameraRecordingsView.as_view(),
         name="recording-timeline"),
    path("", include(router.urls)),
]
