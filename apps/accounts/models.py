from __future__ import annotations

import unicodedata
from functools import cached_property

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    FIELD_OFFICER = "field_officer", _("Field officer")
    POST_COMMANDER = "post_commander", _("Post commander (Padal)")
    OPERATOR = "operator", _("Command-center operator")
    COMMANDER = "commander", _("Commander")
    FACILITY_OFFICIAL = "facility_official", _("Facility official (KPU/Bawaslu)")
    ADMINISTRATOR = "administrator", _("Administrator")


# Roles that guard, patrol and watch; they only act for security-pillar agencies.
SECURITY_ROLES = frozenset(
    {Role.FIELD_OFFICER, Role.POST_COMMANDER, Role.OPERATOR, Role.COMMANDER}
)


def normalise_username(username: str) -> str:
    """NFKC + casefold, so "Admin", "admin" and full-width "ａｄｍｉｎ" are one account."""
    return unicodedata.normalize("NFKC", username).casefold()


class PersonManager(UserManager):
    def get_by_natural_key(self, username: str):
        return self.get(username=normalise_username(username))


class User(AbstractUser):
    """A person using the portal. Name, rank/position and agency identify them in every record."""

    first_name = None
    last_name = None
    full_name = models.CharField(_("full name"), max_length=150)
    rank = models.CharField(_("rank or position"), max_length=80, blank=True)
    id_number = models.CharField(
        _("NRP/NIP"), max_length=30, blank=True,
        help_text=_("Police/military registration number or civil-servant number."),
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    agency = models.ForeignKey(
        "org.Agency", verbose_name=_("agency"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="people",
    )

    objects = PersonManager()
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["full_name"]
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.rank} {self.full_name}".strip() if self.rank else self.full_name

    def save(self, *args, **kwargs) -> None:
        self.username = normalise_username(self.username)
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name

    @cached_property
    def roles(self) -> frozenset[str]:
        return frozenset(a.role for a in self.role_assignments.all())

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def is_administrator(self) -> bool:
        return self.is_superuser or Role.ADMINISTRATOR in self.roles

    def set_roles(self, roles: set[str]) -> None:
        self.role_assignments.exclude(role__in=roles).delete()
        for role in roles - set(self.role_assignments.values_list("role", flat=True)):
            self.role_assignments.create(role=role)
        self.__dict__.pop("roles", None)


class RoleAssignment(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="role_assignment_unique"),
        ]

    def __str__(self) -> str:
        return self.get_role_display()


class UserSession(models.Model):
    """Which sessions belong to whom, so that all of a person's sessions can be ended at once
    (logout, password change, deactivation) whatever the session backend. Written at login,
    removed when the session ends; `apps.accounts.sessions` is the only writer."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    def __str__(self) -> str:  # never the key: it is as good as a password
        return f"session of user {self.user_id}"
