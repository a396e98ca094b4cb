"""Where a webhook may point. Users' webhooks may not reach the server's own network (loopback,
private, link-local addresses) unless the operator allows it: otherwise any account could make
openboard POST to internal services."""

import ipaddress
import socket
from urllib.parse import urlsplit

from openboard.domain import OpenboardError

MAX_URL_CHARS = 2000


class WebhookTargetError(OpenboardError):
    pass


def check_url(url: str) -> str:
    """The URL, if it is an absolute http(s) URL with a host and no credentials."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookTargetError(
            f"webhook URL {url!r} is not an http(s) URL", "give e.g. https://example.org/hooks"
        )
    if parts.username or parts.password:
        raise WebhookTargetError(
            "a webhook URL may not carry a user name or password",
            "authenticate deliveries by their signature instead",
        )
    if len(url) > MAX_URL_CHARS:
        raise WebhookTargetError(
            f"webhook URL is {len(url)} characters long", f"at most {MAX_URL_CHARS}"
        )
    return url.strip()


def _internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return not ip.is_global or ip.is_multicast


def check_public(url: str) -> None:
    """Refuse a URL whose host resolves to an address that is not public."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise WebhookTargetError(f"cannot resolve {host}: {exc}", "check the URL's host") from exc
    blocked = sorted({str(info[4][0]) for info in infos if _internal(str(info[4][0]))})
    if blocked:
        raise WebhookTargetError(
            f"{host} resolves to {', '.join(blocked)}, which is not a public address",
            "point the webhook at a public host, or ask the operator to set "
            "webhook_allow_private_targets",
        )
