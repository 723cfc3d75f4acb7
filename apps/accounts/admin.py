from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static import admin as _otp_static_admin  # noqa: F401
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp import admin as _otp_totp_admin  # noqa: F401
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.access import policy
from apps.access.admin import PolicyInline, PolicyModelAdmin
from apps.accounts import mfa, sessions
from apps.accounts.models import RoleAssignment, User

# django-otp's admins show authenticator secrets and QR codes: second factors are reset from
# the person's page instead, and never shown to anyone but their owner.
for _device in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device):
        admin.site.unregister(_device)


class RoleInline(PolicyInline):
    model = RoleAssignment


@admin.register(User)
class PersonAdmin(PolicyModelAdmin, UserAdmin):
    list_display = ["username", "full_name", "rank", "agency", "is_active", "last_login"]
    list_filter = ["is_active", "agency__pillar", "role_assignments__role"]
    search_fields = ["username", "full_name", "id_number", "agency__name"]
    ordering = ["full_name"]
    autocomplete_fields = ["agency"]
    list_select_related = ["agency"]
    inlines = [RoleInline]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("full_name", "rank", "id_number", "phone", "agency")}),
        (_("Access"), {"fields": ("is_active", "is_staff")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"fields": ("username", "full_name", "agency", "password1", "password2")}),
    )
    readonly_fields = ["last_login", "date_joined"]
    actions = ["end_sessions", "reset_two_factor", "unlock_login"]

    def _managed(self, request, queryset):
        return [p for p in queryset if policy.can(request.user, policy.Action.MANAGE, p)]

    @admin.action(description=_("End all sessions (log out everywhere)"))
    def end_sessions(self, request, queryset):
        people = self._managed(request, queryset)
        for person in people:
            sessions.end_all_sessions(person)
        self.message_user(request, ngettext(
            "Sessions ended for %(count)d person.", "Sessions ended for %(count)d people.",
            len(people)) % {"count": len(people)}, messages.SUCCESS)

    @admin.action(description=_("Reset two-step login (lost phone)"))
    def reset_two_factor(self, request, queryset):
        people = self._managed(request, queryset)
        for person in people:
            mfa.reset(person)
            sessions.end_all_sessions(person)
        self.message_user(request, ngettext(
            "Two-step login reset for %(count)d person: they set it up again at next login.",
            "Two-step login reset for %(count)d people: they set it up again at next login.",
            len(people)) % {"count": len(people)}, messages.SUCCESS)

    @admin.action(description=_("Lift the login pause after wrong passwords"))
    def unlock_login(self, request, queryset):
        from axes.utils import reset

        people = self._managed(request, queryset)
        for person in people:
            reset(username=person.username)
        self.message_user(request, ngettext(
            "Login pause lifted for %(count)d person.", "Login pause lifted for %(count)d people.",
            len(people)) % {"count": len(people)}, messages.SUCCESS)

    def user_change_password(self, request, id, form_url=""):
        """A password set by an administrator ends the person's sessions too."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            person = self.get_object(request, id)
            if person is not None:
                sessions.end_all_sessions(person)
        return response
