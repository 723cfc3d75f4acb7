"""Alert texts, written in the reader's language when they are shown.

An alert stores what happened as a message code and its parameters (`Alert.params`, e.g.
``{"msg": "camera.tamper", "camera": "Gerbang", "tamper": "covered"}``); the title and detail
are made from them with gettext at display time, so an operator reading Indonesian and one
reading English each get their own language. `Alert.title`/`detail` keep the text in the
default language as written when raised: alerts stored before the parameters existed, and
free text (an incident's description) are shown from there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# What the tamper detector reports (apps.vision.tamper.TamperKind), as people say it.
TAMPER_LABELS = {
    "covered": gettext_lazy("lens covered"),
    "defocused": gettext_lazy("out of focus"),
    "moved": gettext_lazy("camera moved"),
    "frozen": gettext_lazy("picture frozen"),
    "signal_lost": gettext_lazy("signal lost"),
}

# Motion zones are named by the people who draw them; "frame" is the detector's own name for
# the whole picture when none is drawn (apps.vision.motion).
ZONE_LABELS = {"frame": gettext_lazy("whole picture")}


def tamper_label(kind: str) -> str:
    """A tamper kind as people say it; an unknown kind as it came."""
    return str(TAMPER_LABELS.get(kind, kind))


def zone_label(name: str) -> str:
    return str(ZONE_LABELS.get(name, name))


def _list(names: Iterable[str], label: Callable[[str], str]) -> str:
    return ", ".join(label(n) for n in names)


# --- the messages: code -> params -> (title, detail or None to keep the stored detail) ---------


def _camera_motion(p: dict) -> tuple[str, str | None]:
    detail = _("Zones: %(zones)s") % {"zones": _list(p["zones"], zone_label)} if p.get(
        "zones") else ""
    return _("Motion while armed: %(camera)s") % {"camera": p["camera"]}, detail


def _camera_tamper(p: dict) -> tuple[str, str | None]:
    return _("Camera tampering (%(tamper)s): %(camera)s") % {
        "tamper": tamper_label(p["tamper"]), "camera": p["camera"]}, None


def _camera_offline(p: dict) -> tuple[str, str | None]:
    return _("Camera offline: %(camera)s") % {"camera": p["camera"]}, None


def _camera_storage(p: dict) -> tuple[str, str | None]:
    return _("Media storage full: snapshots of %(camera)s are not being saved") % {
        "camera": p["camera"]}, ""


def _recordings_storage(p: dict) -> tuple[str, str | None]:
    numbers = {"percent": p["percent"]}
    detail = {
        "quota": _("Recordings have reached %(percent)d %% of their quota: the oldest footage "
                   "that is not held is deleted first."),
        "disk": _("The disk holding recordings is %(percent)d %% full."),
        "write": _("A camera's recording cannot be written (disk %(percent)d %% full). Live "
                   "view and alerts go on; recording resumes by itself when there is room."),
    }[p["reason"]] % numbers
    return _("Recording storage nearly full (%(percent)d %%)") % numbers, detail


def _duty_understaffed(p: dict) -> tuple[str, str | None]:
    numbers = {"present": p["present"], "required": p["required"]}
    detail = _("%(present)d of %(required)d personnel checked in.") % numbers
    if p.get("pillars"):
        detail += " " + _("Missing pillar: %(pillars)s.") % {"pillars": ", ".join(p["pillars"])}
    return _("Understaffed: %(post)s, %(present)d of %(required)d present") % {
        "post": p["post"], **numbers}, detail


def _duty_missed(p: dict) -> tuple[str, str | None]:
    return (_("Missed check-in: %(person)s at %(post)s (%(start)s)") % {
        "person": p["person"], "post": p["post"], "start": p["start"]},
        _("No check-in %(minutes)d minutes after the shift started.") % {
            "minutes": p["minutes"]})


def _duty_unassigned(p: dict) -> tuple[str, str | None]:
    return (_("Nobody assigned: %(post)s, shift from %(start)s") % {
        "post": p["post"], "start": p["start"]},
        _("Assign someone to this shift in the roster."))


def _patrol_overdue(p: dict) -> tuple[str, str | None]:
    return _("Patrol overdue at %(place)s (every %(hours)d h)") % {
        "place": p["place"], "hours": p["hours"]}, None


def _incident(p: dict) -> tuple[str, str | None]:
    # Imported here: apps.records imports the alerts core.
    from apps.records.models import Category

    template = (_("Public tip (unverified): %(what)s at %(place)s") if p.get("tip")
                else _("Incident: %(what)s at %(place)s"))
    return template % {"what": Category(p["category"]).label, "place": p["place"]}, None


def _visit_issue(p: dict) -> tuple[str, str | None]:
    return _("Patrol found an issue: %(place)s") % {"place": p["place"]}, None


def _check(p: dict) -> tuple[str, str | None]:
    template = (_("Broken seal at %(place)s") if p.get("broken")
                else _("Logistics discrepancy at %(place)s"))
    return template % {"place": p["place"]}, None


def _panic(p: dict) -> tuple[str, str | None]:
    where = (_("Location: %(lat)s, %(lon)s (± %(accuracy)s m)") % {
        "lat": p["lat"], "lon": p["lon"], "accuracy": p.get("accuracy") or "?"}
        if p.get("lat") is not None else _("Location unknown: the phone sent none."))
    place = f"{p['post']} · {p['place']}" if p.get("post") else p["place"]
    return (_("Panic button: %(person)s at %(place)s") % {"person": p["person"], "place": place},
            _("Pressed at %(time)s.") % {"time": p["time"]} + " " + where)


def _lone_overdue(p: dict) -> tuple[str, str | None]:
    return (_("Lone guard not confirmed: %(person)s at %(post)s") % {
        "person": p["person"], "post": p["post"]},
        _("No “I am safe” since %(since)s (every %(minutes)d minutes).") % {
            "since": p["since"], "minutes": p["minutes"]})


MESSAGES: dict[str, Callable[[dict], tuple[str, str | None]]] = {
    "camera.motion": _camera_motion,
    "camera.tamper": _camera_tamper,
    "camera.offline": _camera_offline,
    "camera.storage": _camera_storage,
    "recordings.storage": _recordings_storage,
    "duty.understaffed": _duty_understaffed,
    "duty.missed": _duty_missed,
    "duty.unassigned": _duty_unassigned,
    "records.patrol_overdue": _patrol_overdue,
    "records.incident": _incident,
    "records.visit_issue": _visit_issue,
    "records.check": _check,
    "duty.panic": _panic,
    "duty.lone_overdue": _lone_overdue,
}


def render(alert) -> tuple[str, str]:
    """(title, detail) of `alert` in the active language."""
    params = alert.params or {}
    make = MESSAGES.get(params.get("msg", ""))
    if make is None:
        return alert.title, alert.detail
    try:
        title, detail = make(params)
    except (KeyError, TypeError, ValueError):  # parameters of an older shape: the stored text
        return alert.title, alert.detail
    return title, alert.detail if detail is None else detail


# Why an alert resolved itself, by kind: said in the history line of the automatic resolution.
_CLEARED = {
    "camera_offline": gettext_lazy("The camera is back online."),
    "tamper": gettext_lazy("Tampering is no longer detected."),
    "storage": gettext_lazy("There is room in storage again."),
    "post_understaffed": gettext_lazy("The post is back to its standard."),
    "missed_check_in": gettext_lazy("The guard checked in."),
    "unassigned_shift": gettext_lazy("Someone was assigned to the shift."),
    "patrol_overdue": gettext_lazy("A patrol visit was recorded."),
    "lone_overdue": gettext_lazy("The guard confirmed they are safe, or the shift ended."),
}


def cleared_reason(kind: str) -> str:
    return str(_CLEARED.get(kind, gettext_lazy("The condition ended.")))
