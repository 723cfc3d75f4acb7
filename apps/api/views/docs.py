from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def docs(request: HttpRequest) -> HttpResponse:
    """Swagger UI over /api/schema/, from this site's static files only."""
    return render(request, "api/docs.html")
