from django.conf import settings


def portal(request):
    return {"embedded_mode": settings.EMBEDDED}
