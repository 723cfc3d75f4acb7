"""An evidence bundle's manifest as a PDF to print, sign and hand over with the files (A4),
in the portal's language: who exported what, why and on what legal basis, and each file's
SHA-256. Made from the manifest itself (apps.recordings.exports.manifest_of), so the paper
and the JSON cannot say different things; layout, tables and styles are the
portal's printed documents' (apps.core.pdf)."""

from __future__ import annotations

from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from apps.core.pdf import A4Document, table


def manifest_pdf_bytes(*, manifest: dict, manifest_sha256: str) -> bytes:
    title = _("Evidence export #%(pk)d") % {"pk": manifest["export"]}
    document = A4Document(
        title=title, author=manifest["exported_by"]["name"],
        footer=_("%(title)s · manifest SHA-256 %(sha)s") % {"title": title,
                                                            "sha": manifest_sha256})
    styles, small, width = document.styles, document.small, document.width
    person = manifest["exported_by"]
    span = manifest["span"]
    who = ", ".join(part for part in (
        f"{person['rank']} {person['name']}".strip(),
        _("NRP/NIP %(number)s") % {"number": person["id_number"]} if person["id_number"]
        else "", person["agency"]) if part)
    facts = [
        [_("Particulars"), _("Value")],
        [_("Exported by"), who],
        [_("Asked for at"), manifest["requested_at"]["local"]],
        [_("Made at"), manifest["made_at"]["local"]],
        [_("Span"), _("%(start)s to %(end)s") % {"start": span["start"]["local"],
                                                 "end": span["end"]["local"]}],
        [_("Reason"), manifest["reason"]],
        [_("Legal basis"), manifest["legal_basis"]],
    ]
    story = [
        Paragraph(escape(_("Evidence export record")), styles["Title"]),
        Paragraph(escape(title), styles["Heading3"]),
        *table(facts, [width * 0.25, width * 0.75], small),
        Spacer(1, 4 * mm),
        Paragraph(escape(_("Files")), styles["Heading2"]),
        Paragraph(escape(_("Video as recorded by the camera (copied, not re-encoded) unless "
                           "marked masked; no audio. Times in the facility's local time.")),
                  small),
    ]
    rows = [[_("File"), _("Camera"), _("Facility"), _("Footage"), _("Masked"), "SHA-256"]]
    rows += [[file["name"], file["camera"]["name"], file["facility"]["name"],
              _("%(start)s to %(end)s") % {"start": file["start"]["local"],
                                           "end": file["end"]["local"]},
              _("yes") if file["masked"] else _("no"), file["sha256"]]
             for file in manifest["files"]]
    story.extend(table(rows, [width * 0.2, width * 0.13, width * 0.13, width * 0.17,
                               width * 0.07, width * 0.3], small))
    story += [
        Spacer(1, 4 * mm),
        Paragraph(escape(_("Manifest (JSON) SHA-256: %(sha)s") % {"sha": manifest_sha256}),
                  small),
        Paragraph(escape(_("Check a file with: sha256sum FILE (Linux) or certutil -hashfile "
                           "FILE SHA256 (Windows); the result must equal the SHA-256 above.")),
                  small),
        Spacer(1, 10 * mm),
        # Blank rows to sign in, above each name.
        *table([[_("Handed over by"), _("Received by")], *[[" ", " "]] * 3,
                 [who, _("Name, rank, NRP/NIP")]], [width * 0.5, width * 0.5], small),
    ]
    return document.build(story)

