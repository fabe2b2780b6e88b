"""Shared by the tests: block network sockets and record every attempt to open one."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

#: Address families that reach other machines; local (AF_UNIX) sockets of process pools stay allowed.
NETWORK_FAMILIES = (socket.AF_INET, socket.AF_INET6)


@contextmanager
def sockets_blocked() -> Iterator[list[str]]:
    """Refuse name lookups and network connections in this process; yield the list of attempts."""
    attempts: list[str] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def refused(what: str) -> OSError:
        attempts.append(what)
        return OSError(f"network access in an offline test: {what}")

    def connect(self: socket.socket, address: object) -> None:
        if self.family in NETWORK_FAMILIES:
            raise refused(f"connect {address!r}")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:
        if self.family in NETWORK_FAMILIES:
            raise refused(f"connect_ex {address!r}")
        return real_connect_ex(self, address)

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> list:
        raise refused(f"getaddrinfo {host!r}")

    def create_connection(address: object, *args: object, **kwargs: object) -> socket.socket:
        raise refused(f"create_connection {address!r}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", connect)
        patch.setattr(socket.socket, "connect_ex", connect_ex)
        patch.setattr(socket, "getaddrinfo", getaddrinfo)
        patch.setattr(socket, "create_connection", create_connection)
        yield attempts
