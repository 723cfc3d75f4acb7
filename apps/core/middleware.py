from django.utils.cache import patch_cache_control, patch_vary_headers


class NoStoreForAuthenticatedMiddleware:
    """Pages for a signed-in person are never cached by a browser or proxy, nor shared
    between users: they carry operations data and camera images."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
            patch_vary_headers(response, ["Cookie"])
        return response

