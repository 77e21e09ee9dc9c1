"""Refuse any connection beyond this machine, so an offline run proves it stays offline."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from contextlib import contextmanager

LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class NetworkBlocked(ConnectionRefusedError):
    """An offline run tried to reach an address outside the loopback range."""


def is_loopback(host: object) -> bool:
    """Whether ``host`` (a name, an address, or None for 'this machine') stays on this machine."""
    if host in (None, "", b""):
        return True
    text = host.decode() if isinstance(host, bytes) else str(host)
    if text.lower() in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(text.split("%")[0]).is_loopback
    except ValueError:
        return False


@contextmanager
def loopback_only() -> Iterator[None]:
    """Within the block, connecting or resolving beyond loopback raises NetworkBlocked."""
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex
    original_getaddrinfo = socket.getaddrinfo

    def _check(sock: socket.socket, address: object) -> None:
        internet = sock.family in (socket.AF_INET, socket.AF_INET6)
        if internet and isinstance(address, tuple) and not is_loopback(address[0]):
            raise NetworkBlocked(
                f"offline run tried to connect to {address[0]}:{address[1]}; "
                "offline mode talks only to the sandboxes on 127.0.0.1"
            )

    def connect(sock: socket.socket, address: object) -> None:
        _check(sock, address)
        return original_connect(sock, address)

    def connect_ex(sock: socket.socket, address: object) -> int:
        _check(sock, address)
        return original_connect_ex(sock, address)

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> list:
        if not is_loopback(host):
            raise NetworkBlocked(
                f"offline run tried to resolve {host!r}; "
                "offline mode talks only to the sandboxes on 127.0.0.1"
            )
        return original_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo
    try:
        yield
    finally:
        socket.socket.connect = original_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = original_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = original_getaddrinfo
