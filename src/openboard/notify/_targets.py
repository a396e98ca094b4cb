"""Where a webhook may point. Users' webhooks may not reach the server's own network (loopback,
private, link-local addresses) unless the operator allows it: otherwise any account could make
openboard POST to internal services."""

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from openboard.domain import OpenboardError

MAX_URL_CHARS = 2000

# host, port -> the addresses it resolves to (socket.getaddrinfo's; injected in tests)
Resolver = Callable[[str, int], list[str]]


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


def resolve_addresses(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_public(url: str, resolve: Resolver = resolve_addresses) -> str:
    """Refuse a URL whose host resolves to an address that is not public; else one of its
    addresses, for the caller to connect to (`pinned`)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        addresses = resolve(host, parts.port or (443 if parts.scheme == "https" else 80))
    except OSError as exc:
        raise WebhookTargetError(f"cannot resolve {host}: {exc}", "check the URL's host") from exc
    if not addresses:
        raise WebhookTargetError(f"{host} resolves to no address", "check the URL's host")
    blocked = sorted(a for a in addresses if _internal(a))
    if blocked:
        raise WebhookTargetError(
            f"{host} resolves to {', '.join(blocked)}, which is not a public address",
            "point the webhook at a public host, or ask the operator to set "
            "webhook_allow_private_targets",
        )
    return addresses[0]


@dataclass(frozen=True, slots=True)
class PinnedTarget:
    """A request to the very address that was checked: the URL names the address, the Host header
    and TLS (SNI and certificate) name the host. Resolving the host again when connecting would
    let a DNS answer that changed meanwhile (rebinding) reach an internal address."""

    url: str
    host_header: str
    sni_hostname: str | None  # https only


def pinned(url: str, address: str) -> PinnedTarget:
    parts = urlsplit(url)
    literal = f"[{address}]" if ":" in address else address
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    host = parts.hostname or ""
    return PinnedTarget(
        url=parts._replace(netloc=netloc).geturl(),
        host_header=parts.netloc,
        sni_hostname=host if parts.scheme == "https" else None,
    )
