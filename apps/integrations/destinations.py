"""Where a webhook may go: the kernel's network-address guard (apps.core.netguard) with the
WEBHOOK_* settings. Checked when an endpoint is saved and again before every attempt; the
connection then goes to the address that was checked (apps.integrations.delivery), so a DNS
answer that changes in between cannot redirect it."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from apps.core.netguard import CheckedUrl, UrlPolicy, UrlRejected
from apps.core.netguard import check_url as check_network_url


def url_policy() -> UrlPolicy:
    schemes = {"https", "http"} if settings.WEBHOOK_ALLOW_HTTP else {"https"}
    return UrlPolicy.from_strings(settings.WEBHOOK_NETWORKS, schemes=frozenset(schemes),
                                  denied_ports=frozenset(settings.WEBHOOK_DENIED_PORTS))


def check_url(url: str) -> CheckedUrl:
    """The URL taken apart and resolved, or UrlRejected. Besides the camera URL rules (no
    credentials in it, no control characters, no odd IPv4 spellings, never link-local such
    as 169.254.169.254, "this host" or multicast): https only unless WEBHOOK_ALLOW_HTTP,
    loopback only with WEBHOOK_ALLOW_LOOPBACK, no reserved addresses, no denied port."""
    checked = check_network_url(url, url_policy())
    for address in checked.addresses:
        if address.is_loopback and not settings.WEBHOOK_ALLOW_LOOPBACK:
            raise UrlRejected("loopback addresses are not allowed")
        if address.is_reserved or address.is_unspecified:
            raise UrlRejected("address not allowed")
        if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
            raise UrlRejected("address not allowed")
    return checked


def validate_url(url: str) -> str:
    url = url.strip()
    try:
        check_url(url)
    except UrlRejected as rejected:
        raise ValidationError(
            {"url": _("This address is not allowed: %(reason)s") % {"reason": rejected.reason}},
            code="url") from None
    return url
