"""The portal's URLs plus a view that fails and one that forbids, for the error pages."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from portal.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


def fail(request):
    raise RuntimeError("deliberate failure for the headers test")


def forbidden(request):
    raise PermissionDenied


urlpatterns = [path("gagal/", fail), path("dilarang/", forbidden), *urlpatterns]
