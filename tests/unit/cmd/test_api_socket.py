"""The API's listening socket is not shared with another process started later."""

import pytest

from tricircle.cmd.api import _socket


def test_a_second_gateway_on_a_served_port_fails_instead_of_sharing_it():
    first = _socket("127.0.0.1", 0)
    try:
        port = first.getsockname()[1]
        with pytest.raises(OSError):
            _socket("127.0.0.1", port).close()
    finally:
        first.close()
