"""The offline network guard: loopback passes, everything else is refused before it leaves."""

from __future__ import annotations

import socket

import pytest

from mlops_labs.cloud.network_guard import NetworkBlocked, is_loopback, loopback_only


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "localhost", None, ""])
def test_loopback_hosts_stay_on_this_machine(host):
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["10.0.0.1", "169.254.169.254", "8.8.8.8", "s3.amazonaws.com"])
def test_other_hosts_do_not(host):
    assert not is_loopback(host)


def test_connections_beyond_loopback_are_refused():
    with (
        loopback_only(),
        socket.socket() as sock,
        pytest.raises(NetworkBlocked, match=r"10\.1\.2\.3:443"),
    ):
        sock.connect(("10.1.2.3", 443))


def test_name_lookups_beyond_loopback_are_refused():
    with loopback_only(), pytest.raises(NetworkBlocked, match=r"storage\.googleapis\.com"):
        socket.getaddrinfo("storage.googleapis.com", 443)


def test_loopback_connections_still_work():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with loopback_only(), socket.create_connection(server.getsockname(), timeout=5):
            pass


def test_the_guard_is_lifted_after_the_block():
    before = socket.socket.connect
    with loopback_only():
        assert socket.socket.connect is not before
    assert socket.socket.connect is before
