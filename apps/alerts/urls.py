from django.urls import path

from apps.alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.feed, name="feed"),
    path("akui/", views.acknowledge_many, name="acknowledge_many"),
    path("sejak/<int:seq>/", views.events_since, name="since"),
    path("eskalasi/", views.escalation_chains, name="escalation"),
    path("eskalasi/simpan/", views.escalation_save, name="escalation_save"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/tindak/", views.act, name="act"),
    path("<int:pk>/bukti/", views.evidence, name="evidence"),
    path("bukti-kamera/<int:pk>/", views.evidence_frame, name="evidence_frame"),
]
