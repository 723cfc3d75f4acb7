"""The portal's URLs plus one view that fails, to see the 500 page's headers."""

from django.urls import path

from portal.urls import handler403, handler404, handler500, urlpatterns  # noqa: F401


def fail(request):
    raise RuntimeError("deliberate failure for the headers test")


urlpatterns = [path("gagal/", fail), *urlpatterns]
