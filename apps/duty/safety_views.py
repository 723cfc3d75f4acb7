"""Field safety pages: "Saya aman" on my duty, and the lone-post check on a post's page.
The panic button posts to the API (/api/panic/, session and CSRF from the field pages, or a
device token), see apps.api.views.duty.PanicView."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.access import policy
from apps.duty import safety, services
from apps.duty.forms import LoneCheckForm, SafeForm
from apps.duty.models import GuardPost, Shift


@login_required
@require_POST
def safe_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    shift = policy.get_or_404(request.user, Shift.objects.select_related("post"),
                              policy.Action.OPERATE, pk=pk)
    form = SafeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The location sent was not valid."))
        return redirect("duty:my_duty")
    try:
        safety.safe_confirm(shift=shift, user=request.user, **form.cleaned_data)
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Thank you: your “I am safe” was recorded."))
    return redirect("duty:my_duty")


@login_required
@require_POST
def post_lone_check(request: HttpRequest, pk: int) -> HttpResponse:
    post = policy.get_or_404(request.user, GuardPost.objects.select_related("facility"),
                             policy.Action.MANAGE, pk=pk)
    form = LoneCheckForm(request.POST, instance=GuardPost(pk=post.pk))
    if form.is_valid():
        try:
            services.post_set_lone_check(post=post, by=request.user,
                                         minutes=form.cleaned_data["lone_check_minutes"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Lone-post check saved."))
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("duty:standards", pk=post.pk)
