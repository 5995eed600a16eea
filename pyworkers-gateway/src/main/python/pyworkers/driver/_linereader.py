"""The driver's reader of Py4J answers: lines from the gateway socket, waiting for the first bytes by polling.

A Py4J call is a round trip between two processes: the driver writes a command and sleeps in ``recv`` until the JVM
answers. On a virtual machine (KVM's haltpoll idle driver, for one), a CPU that goes idle while the driver sleeps takes
tens of microseconds to wake when the answer arrives, and the JVM's CPU the same for the next command. bench gateway
on 2 cores measured 60 to 65 us a call when both went idle between calls, 20 to 25 us when they did not, switching
between the two every few seconds (BENCHMARKS.md).

This reader keeps the driver's CPU busy for a short while (``spin_us``, 50 us by default) after each command by
asking the socket for bytes without blocking, then blocks as before. An answer within the window arrives without a
wake-up; a longer call costs at most ``spin_us`` of one CPU more than before. ``spin_us=0`` turns it off. A poll that
ends without an answer turns polling off for the next reads: 1 after the first such poll, then 2, 4, ... up to
``MAX_BACKOFF_READS`` while they keep failing; one that gets its answer starts again at 1. When calls take longer than
the window, or the JVM's thread shares this thread's CPU (then each side's polling only delays the other: about 130
us a call when both sides poll on one CPU, against 25 us when neither does), polling would cost a window a call and
save nothing; a single slow call costs one read without polling.
The gateway JVM polls the same way for the next command (``-Dpyworkers.gateway.spinMicros``).

It replaces the ``socket.makefile("rb")`` reader of a Py4J ``ClientServerConnection`` and does what Py4J asks of that
reader: ``readline()`` (a whole line with its newline, or what was left before the end of the stream) and ``close()``.
One connection belongs to one thread (Py4J's pinned threads), so a reader is not shared.
"""
import socket
import time

_CHUNK = 65536
MAX_BACKOFF_READS = 4096
_DONTWAIT = getattr(socket, "MSG_DONTWAIT", 0)  # 0 where the platform lacks it: no polling there


class PollingLineReader:
    """``readline()`` over a connected socket, polling for up to ``spin_s`` seconds before each blocking read."""

    __slots__ = ("_sock", "_spin_s", "_rest", "_skip", "_backoff")

    def __init__(self, sock: socket.socket, spin_s: float) -> None:
        self._sock = sock
        # A socket with a timeout waits in poll() before every recv, flags or not: no polling there either.
        self._spin_s = spin_s if _DONTWAIT and sock.gettimeout() is None else 0.0
        self._rest = b""
        self._skip = 0
        self._backoff = 1

    def readline(self) -> bytes:
        rest = self._rest
        i = rest.find(b"\n")
        if i >= 0:
            self._rest = rest[i + 1:]
            return rest[:i + 1]
        chunks = [rest] if rest else []
        while True:
            data = self._recv()
            if not data:  # end of stream: what there is, as BufferedReader.readline does
                self._rest = b""
                return b"".join(chunks)
            i = data.find(b"\n")
            if i >= 0:
                chunks.append(data[:i + 1])
                self._rest = data[i + 1:]
                return b"".join(chunks)
            chunks.append(data)

    def _recv(self) -> bytes:
        sock = self._sock
        spin_s = self._spin_s
        if spin_s:
            if self._skip:
                self._skip -= 1
                return sock.recv(_CHUNK)
            clock = time.perf_counter
            end = clock() + spin_s
            while True:
                try:
                    data = sock.recv(_CHUNK, _DONTWAIT)
                    self._backoff = 1
                    return data
                except BlockingIOError:
                    if clock() >= end:
                        break
            self._skip = self._backoff
            self._backoff = min(self._backoff * 2, MAX_BACKOFF_READS)
        return sock.recv(_CHUNK)

    def close(self) -> None:
        # The socket is Py4J's to close; a later read finds it closed, as with the makefile reader.
        self._rest = b""
