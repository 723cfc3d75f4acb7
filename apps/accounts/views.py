from django.contrib import auth, messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from apps.accounts import mfa, sessions
from apps.accounts.forms import CodeForm


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/profile.html", {
        "has_authenticator": mfa.has_device(request.user),
        "requires_two_factor": mfa.requires_two_factor(request.user),
        "backup_codes_left": mfa.backup_codes_left(request.user),
    })


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return reverse("overview:home")


def _with_next(url_name: str, request: HttpRequest) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': _next_url(request)})}"


@never_cache
@sensitive_post_parameters("code")
@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """The second step of logging in: a code from the authenticator app or a backup code."""
    user = request.user
    if mfa.verified_device(user, request) is not None:
        return redirect(_next_url(request))
    if not mfa.has_device(user):
        return redirect(_with_next("accounts:otp_enrol", request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device, throttled = mfa.verify(user, form.cleaned_data["code"])
        if device is not None:
            mfa.complete_verification(request, device)
            return redirect(_next_url(request))
        form.add_error("code", _("Too many wrong codes: wait a little, then try again.")
                       if throttled else _("That code is not correct."))
    return render(request, "accounts/otp_verify.html",
                  {"form": form, "next": _next_url(request)})


@never_cache
@sensitive_post_parameters("code")
@login_required
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the code, type the first code it shows. Someone who
    already has a second factor must use it first (a stolen password cannot add a device)."""
    user = request.user
    if mfa.has_device(user):
        if mfa.verified_device(user, request) is None:
            return redirect(_with_next("accounts:otp_verify", request))
        messages.info(request, _("Two-step login is already set up."))
        return redirect("accounts:profile")
    device = mfa.pending_authenticator(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = mfa.confirm_authenticator(user, device, form.cleaned_data["code"])
        if codes is not None:
            mfa.complete_verification(request, device)
            return render(request, "accounts/backup_codes.html",
                          {"codes": codes, "next": _next_url(request)})
        form.add_error("code", _("That code is not correct. Check the time on your phone."))
    return render(request, "accounts/otp_enrol.html", {
        "form": form, "qr": mfa.qr_data_uri(device), "secret": mfa.secret_text(device),
        "next": _next_url(request),
    })


@never_cache
@login_required
@require_POST
def backup_codes(request: HttpRequest) -> HttpResponse:
    """New backup codes (the old ones stop working), shown once."""
    if not mfa.has_device(request.user):
        return redirect("accounts:otp_enrol")
    codes = mfa.new_backup_codes(request.user)
    return render(request, "accounts/backup_codes.html",
                  {"codes": codes, "next": reverse("accounts:profile")})


class LogoutView(auth_views.LogoutView):
    """Logging out ends every session of the person, on every device, websockets included."""

    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            sessions.end_all_sessions(request.user)
        return super().post(request, *args, **kwargs)


class PasswordChangeView(auth_views.PasswordChangeView):
    """After a password change every session ends, this one too: log in with the new one."""

    template_name = "accounts/password_change.html"

    def form_valid(self, form):
        user = form.save()
        sessions.end_all_sessions(user)
        auth.logout(self.request)
        messages.success(self.request,
                         _("Your password has been changed. Log in with the new password."))
        return redirect("accounts:login")
