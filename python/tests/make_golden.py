"""Writes the golden byte files in ``protocol/golden`` with the Python encoders.

Run ``python tests/make_golden.py`` from ``python/`` after a deliberate protocol change; the Python tests
(``test_golden.py``) and the Java tests both compare their codecs with these files, so the two sides cannot drift.
The values below are the single source for the files and for the README beside them.
"""
import os
import sys
from pathlib import Path
from typing import Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pyworkers import auth, protocol  # noqa: E402
from pyworkers.protocol import Transport  # noqa: E402

__all__ = ["GOLDEN_DIR", "SECRET", "WORKER_NONCE", "JVM_NONCE", "golden_files", "readme_text", "main"]

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "protocol" / "golden"

SECRET = bytes(range(100, 132))
WORKER_NONCE = bytes(range(32))
JVM_NONCE = bytes(range(32, 64))
SOCKET_PATH = "/tmp/pyworkers-golden/d.sock"
PID = 4242
PORT = 40000
PRELOAD_ERROR = "failed to preload module 'nope': ModuleNotFoundError: No module named 'nope'"
FORK_ERROR = "fork failed: [Errno 11] Resource temporarily unavailable"

DAEMON_INIT = protocol.DaemonInit(SECRET, Transport.UNIX, SOCKET_PATH, 10000, 65536, ("json", "os.path"))
HELLO_UNIX = protocol.DaemonHello(PID, 3, 11, Transport.UNIX, SOCKET_PATH)
HELLO_TCP = protocol.DaemonHello(PID, 3, 11, Transport.TCP_IPV4, PORT)
SIMPLE_INIT = protocol.SimpleInit(SECRET, Transport.TCP_IPV4, PORT, 10000, 65536)

# (file name, description of the values) in README order.
_DESCRIPTIONS: List[Tuple[str, str]] = [
    ("daemon_init.bin", "PWKI init block: version 1, secret S, transport 1 (unix), path `%s`, auth timeout 10000 ms, "
                        "buffer size 65536, preload `json`, `os.path`" % SOCKET_PATH),
    ("daemon_hello_unix.bin", "PWKD hello: version 1, pid 4242, Python 3.11, transport 1, path `%s`" % SOCKET_PATH),
    ("daemon_hello_tcp.bin", "PWKD hello: version 1, pid 4242, Python 3.11, transport 2 (TCP 127.0.0.1), port 40000"),
    ("daemon_error.bin", "PWKE error: message `%s`" % PRELOAD_ERROR),
    ("kill_cmd.bin", "stdin command: `KILL`, pid 4242"),
    ("worker_hello.bin", "handshake step 1: PWKW, pid 4242, Nw"),
    ("jvm_proof.bin", "handshake step 2: Nj, then Mj = HMAC-SHA256(S, \"pyworkers-jvm\" || Nw || Nj)"),
    ("worker_proof.bin", "handshake step 3 (accepted): u8 0, then Mw = HMAC-SHA256(S, \"pyworkers-worker\" || Nj || Nw)"),
    ("simple_init.bin", "PWKS simple worker init block: version 1, secret S, transport 2 (TCP 127.0.0.1), port 40000, "
                        "auth timeout 10000 ms, buffer size 65536"),
    ("fork_failed.bin", "daemon could not fork: PWKW, pid -11 (-EAGAIN), message `%s`" % FORK_ERROR),
]


def golden_files() -> Dict[str, bytes]:
    """File name -> exact bytes, produced by the pyworkers encoders."""
    return {
        "daemon_init.bin": protocol.encode_daemon_init(DAEMON_INIT),
        "daemon_hello_unix.bin": protocol.encode_daemon_hello(HELLO_UNIX),
        "daemon_hello_tcp.bin": protocol.encode_daemon_hello(HELLO_TCP),
        "daemon_error.bin": protocol.encode_daemon_error(PRELOAD_ERROR),
        "kill_cmd.bin": protocol.encode_kill(PID),
        "worker_hello.bin": protocol.encode_worker_hello(PID, WORKER_NONCE),
        "jvm_proof.bin": auth.encode_jvm_proof(SECRET, WORKER_NONCE, JVM_NONCE),
        "worker_proof.bin": auth.encode_worker_proof(SECRET, JVM_NONCE, WORKER_NONCE),
        "simple_init.bin": protocol.encode_simple_init(SIMPLE_INIT),
        "fork_failed.bin": protocol.encode_fork_failure(-11, FORK_ERROR),
    }


def readme_text(files: Dict[str, bytes]) -> str:
    lines = [
        "# Golden protocol bytes",
        "",
        "Exact bytes of each message in `docs/protocol.md`, written by `python/tests/make_golden.py` with the Python",
        "encoders. The Python tests (`python/tests/test_golden.py`) and the Java tests both encode the values below and",
        "compare with these files, and decode the files back (also one byte at a time). Do not edit the files by hand:",
        "change the protocol, then run `cd python && python tests/make_golden.py`.",
        "",
        "Values shared by several files:",
        "",
        "- secret S = bytes 100, 101, ..., 131 (32 bytes: `%s`)" % SECRET.hex(),
        "- worker nonce Nw = bytes 0, 1, ..., 31 (`%s`)" % WORKER_NONCE.hex(),
        "- JVM nonce Nj = bytes 32, 33, ..., 63 (`%s`)" % JVM_NONCE.hex(),
        "",
        "| file | size | content |",
        "|---|---|---|",
    ]
    for name, description in _DESCRIPTIONS:
        lines.append("| `%s` | %d | %s |" % (name, len(files[name]), description))
    lines += ["", "Hex of each file:", ""]
    for name, _ in _DESCRIPTIONS:
        lines += ["`%s`:" % name, "", "```", files[name].hex(), "```", ""]
    return "\n".join(lines)


def main() -> int:
    files = golden_files()
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (GOLDEN_DIR / name).write_bytes(data)
    (GOLDEN_DIR / "README.md").write_text(readme_text(files), encoding="utf-8")
    print("wrote %d golden files to %s" % (len(files), os.path.relpath(GOLDEN_DIR)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
