"""The driver's polling reader of Py4J answers (spin_us): lines exactly as Py4J's own reader gives them, over a real
socket pair and over a real gateway."""
import socket
import threading

import pytest

from pyworkers.driver import connect
from pyworkers.driver._linereader import PollingLineReader


@pytest.fixture(params=[0.0, 50e-6, 5e-3], ids=["no-spin", "spin-50us", "spin-5ms"])
def pair(request):
    a, b = socket.socketpair()
    try:
        yield a, PollingLineReader(b, request.param)
    finally:
        a.close()
        b.close()


def _send_later(sock, pieces, gap_s=0.002):
    def run():
        for p in pieces:
            sock.sendall(p)
            threading.Event().wait(gap_s)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_lines_split_and_joined_across_reads(pair):
    a, reader = pair
    t = _send_later(a, [b"yi", b"1\nys", b"econd\n\nx\nlast-", b"part\n"])
    assert [reader.readline() for _ in range(5)] == [b"yi1\n", b"ysecond\n", b"\n", b"x\n", b"last-part\n"]
    t.join(5)


def test_a_line_much_longer_than_a_read(pair):
    a, reader = pair
    long_line = bytes(range(97, 123)) * 200_000  # 5.2 MB, no newline inside
    t = _send_later(a, [long_line[:1000], long_line[1000:] + b"\nafter\n"], gap_s=0)
    assert reader.readline() == long_line + b"\n"
    assert reader.readline() == b"after\n"
    t.join(5)


def test_end_of_stream_gives_the_partial_line_then_empty(pair):
    a, reader = pair
    a.sendall(b"whole\npartial")
    a.shutdown(socket.SHUT_WR)
    assert reader.readline() == b"whole\n"
    assert reader.readline() == b"partial"
    assert reader.readline() == b""
    assert reader.readline() == b""


def test_same_lines_as_the_makefile_reader(pair):
    a, reader = pair
    c, d = socket.socketpair()
    try:
        payload = b"".join(b"line %d %s\n" % (i, b"z" * (i * 37 % 5000)) for i in range(2000)) + b"tail"
        for s in (a, c):
            threading.Thread(target=lambda s=s: (s.sendall(payload), s.shutdown(socket.SHUT_WR)), daemon=True).start()
        ours, theirs = [], []
        ref = d.makefile("rb")
        while True:
            x, y = reader.readline(), ref.readline()
            ours.append(x)
            theirs.append(y)
            if not x and not y:
                break
        assert ours == theirs
        ref.close()
    finally:
        c.close()
        d.close()


def test_blocks_after_the_spin_and_still_gets_a_late_answer(pair):
    a, reader = pair
    t = _send_later(a, [b"late\n"], gap_s=0)
    threading.Event().wait(0.05)  # longer than every spin above: the reader is in a blocking recv by now
    assert reader.readline() == b"late\n"
    t.join(5)


@pytest.mark.parametrize("bad", [-1, 10_001, float("nan"), "50", True, None])
def test_spin_us_is_checked_before_any_jvm_starts(bad, leakcheck):
    with pytest.raises(ValueError, match="spin_us must be a number of microseconds from 0 to 10000, got"):
        connect(spin_us=bad)


@pytest.mark.parametrize("spin_us,jvm_spin", [(0, "0"), (50, None), (0, "50"), (2000, "2000")])
def test_gateway_calls_and_callbacks_with_each_spin(spin_us, jvm_spin, leakcheck):
    options = [] if jvm_spin is None else ["-Dpyworkers.gateway.spinMicros=" + jvm_spin]
    with connect(spin_us=spin_us, jvm_options=options) as gw:
        jvm = gw.jvm
        assert jvm.java.lang.Math.abs(-5) == 5
        # a 2 MiB byte[]: one answer line of 2.8 MB of Base64, many reads
        assert bytes(jvm.java.nio.ByteBuffer.allocate(2 * 1024 * 1024).array()) == bytes(2 * 1024 * 1024)

        # a callback during a call: the JVM's command to Python comes on the same connection, line by line
        class Cmp:
            def compare(self, x, y):
                return (x > y) - (x < y)

            class Java:
                implements = ["java.util.Comparator"]

        items = jvm.java.util.ArrayList([5, 3, 9, 1])
        jvm.java.util.Collections.sort(items, Cmp())
        assert list(items) == [1, 3, 5, 9]
        from pyworkers.driver._linereader import PollingLineReader as R
        conn = gw.py4j._gateway_client.get_thread_connection()
        assert isinstance(conn.stream, R) == (spin_us > 0)


def test_a_poll_without_answer_backs_off_and_an_answer_resets_it():
    from pyworkers.driver._linereader import MAX_BACKOFF_READS

    a, b = socket.socketpair()
    try:
        reader = PollingLineReader(b, 1e-3)

        skips = []
        for i in range(12):
            # each line comes 10 ms after the read starts: ten windows, so every poll finds nothing
            t = threading.Thread(target=lambda i=i: (threading.Event().wait(0.01), a.sendall(b"late %d\n" % i)))
            t.start()
            assert reader.readline() == b"late %d\n" % i
            t.join(5)
            skips.append(reader._skip)
        # failed polls: skip 1, 2, 4, ... reads; a skipped read does not poll and leaves the counter going down
        assert max(skips) <= MAX_BACKOFF_READS
        assert skips == [1, 0, 2, 1, 0, 4, 3, 2, 1, 0, 8, 7]
        a.sendall(b"ready\n")  # there before the read: the poll succeeds at once and the backoff starts over
        while reader._skip:
            reader._skip -= 1
        assert reader.readline() == b"ready\n"
        assert reader._backoff == 1
    finally:
        a.close()
        b.close()
