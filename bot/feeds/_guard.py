"""The private-network guard: connect only to addresses that were checked, resolved once.

A check made before httpx connects (resolve, check, let httpx resolve again) loses to DNS
rebinding: a hostile name answers a public address to the check and 127.0.0.1 to the connect.
So the check lives where the connection is made, in an httpcore network backend::

    transport = GuardedTransport(allow_private_networks=False, ssl_context=ctx, limits=limits)

Its ``connect_tcp(host, port)`` resolves the name once, refuses the connection unless every
address is public (a name answering one public and one private address is refused too), and
connects to one of those very addresses. httpcore then starts TLS with ``server_hostname`` set
to the URL's host (``httpcore/_async/connection.py``: ``sni_hostname or self._origin.host``), so
certificate checks and SNI stay on the host name, not on the address connected to.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Final, TypeAlias

import httpcore
import httpx

from bot.errors import ErrorKind

__all__ = [
    "GuardError",
    "GuardedBackend",
    "GuardedTransport",
    "IPAddress",
    "Resolver",
    "addresses_of",
    "check_addresses",
    "check_host",
    "is_public_address",
    "resolve",
]

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
#: ``resolve(host, port)`` -> the host's addresses, as strings, best first.
Resolver: TypeAlias = Callable[[str, int], Awaitable[Sequence[str]]]

_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")
#: Not public, though this Python's address tables may call them global: site-local IPv6
#: (deprecated, still routed inside some networks), IETF protocol assignments, 6to4 relays.
_NOT_PUBLIC: Final = (
    ipaddress.IPv6Network("fec0::/10"),
    ipaddress.IPv4Network("192.0.0.0/24"),
    ipaddress.IPv4Network("192.88.99.0/24"),
)
#: getaddrinfo blocks a thread until it answers; lookups get threads of their own, so that slow
#: name servers cannot take the threads every other ``to_thread`` and lookup needs.
_DNS_THREADS: Final = ThreadPoolExecutor(max_workers=32, thread_name_prefix="newsbot-dns")
# Each address of a name gets a share of the connect timeout, but at least this many seconds,
# so that one black-holed address does not use up the whole fetch before the next is tried.
_MIN_ATTEMPT_SECONDS: Final = 2.0


class GuardError(Exception):
    """A connection the guard did not make: the name does not resolve, or an address is
    not public. ``kind`` is ErrorKind.DNS or ErrorKind.BLOCKED; ``reason`` is one clear line.

    The fetch turns it into a FetchError for the URL of the hop (the backend knows no URL).
    """

    def __init__(self, kind: ErrorKind, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def is_public_address(ip: str | IPAddress) -> bool:
    """Return True if ``ip`` is a public unicast address that a feed may live on.

    Loopback, private, link-local, multicast, reserved, unspecified and shared (CGNAT)
    addresses are not public; nor is an IPv6 address that embeds a non-public IPv4 one
    (IPv4-mapped ``::ffff:10.0.0.1``, 6to4, NAT64). Raises ValueError for a non-address.
    """
    addr = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    if isinstance(addr, ipaddress.IPv6Address):
        embedded = addr.ipv4_mapped or addr.sixtofour
        if embedded is None and addr in _NAT64:
            embedded = ipaddress.IPv4Address(int(addr) & 0xFFFF_FFFF)
        if embedded is not None:
            return is_public_address(embedded)
    if any(addr in network for network in _NOT_PUBLIC if network.version == addr.version):
        return False
    return addr.is_global and not (
        addr.is_loopback
        or addr.is_private
        or addr.is_link_local
        or addr.is_multicast
        or addr.is_reserved
        or addr.is_unspecified
    )


async def resolve(host: str, port: int) -> Sequence[str]:
    """Return the addresses ``host`` resolves to (getaddrinfo, in its order); GuardError(DNS)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.run_in_executor(
            _DNS_THREADS, functools.partial(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
        )
    except (OSError, UnicodeError):  # socket.gaierror is an OSError
        raise GuardError(ErrorKind.DNS, "name does not resolve") from None
    return [str(info[4][0]) for info in infos]


async def addresses_of(host: str, port: int, resolver: Resolver) -> list[IPAddress]:
    """Return ``host``'s addresses, without duplicates, in the resolver's order.

    An IP literal is its own address; a name is resolved once with ``resolver``.
    """
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    answers = await resolver(host, port)
    addresses: list[IPAddress] = []
    for answer in answers:
        try:
            address = ipaddress.ip_address(answer)
        except ValueError:
            raise GuardError(
                ErrorKind.DNS, f"name resolves to a non-address {answer[:60]!r}"
            ) from None
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise GuardError(ErrorKind.DNS, "name does not resolve")
    return addresses


def check_addresses(host: str, addresses: Iterable[IPAddress]) -> None:
    """Raise GuardError(BLOCKED) unless every one of ``host``'s ``addresses`` is public."""
    for address in addresses:
        if not is_public_address(address):
            where = f"the address {address}" if host == str(address) else f"{host} ({address})"
            raise GuardError(
                ErrorKind.BLOCKED,
                f"{where} is a private address (loopback, private, link-local, multicast or "
                "reserved); set ALLOW_PRIVATE_NETWORKS=true to allow fetching from it",
            )


async def check_host(host: str, port: int, resolver: Resolver) -> None:
    """Resolve and check ``host`` as the backend would, for a transport that is not guarded."""
    check_addresses(host, await addresses_of(host, port, resolver))


def _interleaved(addresses: list[IPAddress]) -> list[IPAddress]:
    """Return ``addresses`` alternating between families, first family first (RFC 8305 §4)."""
    first = [a for a in addresses if a.version == addresses[0].version]
    other = [a for a in addresses if a.version != addresses[0].version]
    mixed: list[IPAddress] = []
    for index in range(max(len(first), len(other))):
        mixed.extend(group[index] for group in (first, other) if index < len(group))
    return mixed


def _attempt_timeout(timeout: float, attempts: int) -> float:
    """Return the seconds one of ``attempts`` connection attempts may take within ``timeout``."""
    return min(timeout, max(timeout / attempts, _MIN_ATTEMPT_SECONDS))


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to checked addresses.

    It wraps httpcore's own backend (anyio under asyncio) and hands it an IP address, never a
    name, so nothing resolves the name a second time.
    """

    def __init__(self, *, allow_private_networks: bool, resolver: Resolver = resolve) -> None:
        self._allow_private = allow_private_networks
        self._resolver = resolver
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve ``host`` once, check every address, connect to the first that answers."""
        addresses = await addresses_of(host.strip("[]"), port, self._resolver)
        if not self._allow_private:
            check_addresses(host, addresses)
        attempts = _interleaved(addresses)
        each = None if timeout is None else _attempt_timeout(timeout, len(attempts))
        error: Exception = GuardError(ErrorKind.CONNECT, "cannot connect")
        for address in attempts:
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=each,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Refuse: feeds are never fetched over a Unix socket."""
        raise GuardError(ErrorKind.BLOCKED, "Unix sockets are not used for fetching")

    async def sleep(self, seconds: float) -> None:
        """Sleep as httpcore's own backend does (between connect retries)."""
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's HTTP transport with its connection pool built on :class:`GuardedBackend`.

    httpx has no public knob for httpcore's ``network_backend``, so the pool that
    AsyncHTTPTransport builds is replaced by one built the same way with the backend in it.
    No proxy: the address checked must be the one connected to.
    """

    def __init__(
        self,
        *,
        allow_private_networks: bool,
        ssl_context: ssl.SSLContext,
        limits: httpx.Limits,
        resolver: Resolver = resolve,
    ) -> None:
        super().__init__(verify=ssl_context, trust_env=False, limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(
                allow_private_networks=allow_private_networks, resolver=resolver
            ),
        )
