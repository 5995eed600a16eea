"""connect() failing: a clear GatewayStartError, and nothing left behind."""
import os

import pytest

from pyworkers.driver import GatewayStartError, connect

from conftest import descendants


def _java_children():
    return {p for p in descendants(os.getpid())}


@pytest.mark.parametrize("kwargs", [
    {"java": "/nonexistent"},
    {"jar": "/nonexistent.jar"},
    {"jvm_options": ["-XX:+NoSuchFlag"]},
], ids=["java", "jar", "jvm-flag"])
def test_connect_fails_cleanly(kwargs, leakcheck):
    before = _java_children()
    with pytest.raises(GatewayStartError):
        connect(start_timeout=30, **kwargs)
    assert _java_children() <= before, "connect left a child process: %s" % (_java_children() - before)
