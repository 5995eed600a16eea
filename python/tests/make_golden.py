"""Writes the golden byte files in ``protocol/golden`` with the Python encoders.

Run ``python tests/make_golden.py`` from ``python/`` after a deliberate protocol change; the Python tests
(``test_golden.py``) and the Java tests both compare their codecs with these files, so the two sides cannot drift.
The values below are the single source for the files and for the README beside them.
"""
import datetime
import decimal
import os
import pickle
import struct
import sys
from pathlib import Path
from typing import Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "pyworkers-core" / "src" / "main" / "python"))
# The test harness (pyworkers_testing), shared with the JUnit suites, lives in the pyworkers-testing module.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "pyworkers-testing" / "src" / "main" / "python"))

from pyworkers import auth, protocol, serializers, task  # noqa: E402
from pyworkers.protocol import SerializerKind, SpecialLength, Transport  # noqa: E402

from pyworkers_testing.harness import TaskSpec, encode_task, encode_typed_batch, fn_ref, fn_source  # noqa: E402

__all__ = ["GOLDEN_DIR", "SECRET", "WORKER_NONCE", "JVM_NONCE", "JVM_VALUES", "DATA_RECORDS", "OUTPUT_RECORD",
           "OUTPUT_EXCEPTION", "OUTPUT_TIMING", "OUTPUT_UPDATES", "encode_jvm_values", "encode_data_section",
           "golden_files", "readme_text", "main"]

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "protocol" / "golden"

SECRET = bytes(range(100, 132))
WORKER_NONCE = bytes(range(32))
JVM_NONCE = bytes(range(32, 64))
SOCKET_PATH = "/tmp/pyworkers-golden/d.sock"
PID = 4242
PORT = 40000
PRELOAD_ERROR = "failed to preload module 'nope': ModuleNotFoundError: No module named 'nope'"
FORK_ERROR = "fork failed: [Errno 11] Resource temporarily unavailable"
EXIT_CODE = protocol.WorkerExit(PID, protocol.ExitHow.EXITED, 3, "", 5)
EXIT_SIGNAL = protocol.WorkerExit(PID, protocol.ExitHow.SIGNALED, 9, "SIGKILL", 17)

DAEMON_INIT = protocol.DaemonInit(SECRET, Transport.UNIX, SOCKET_PATH, 10000, 65536, ("json", "os.path"))
HELLO_UNIX = protocol.DaemonHello(PID, 3, 11, Transport.UNIX, SOCKET_PATH)
HELLO_TCP = protocol.DaemonHello(PID, 3, 11, Transport.TCP_IPV4, PORT)
SIMPLE_INIT = protocol.SimpleInit(SECRET, Transport.TCP_IPV4, PORT, 10000, 65536)

# Task headers (section 5.1), encoded by the test harness's own encoder, independent of the worker's decoder.
ADD_SOURCE = "def add(a, b):\n    return a + b\n"
TASK_UDF = TaskSpec.udf(
    ([0], [fn_ref("udfs:inc")]),
    ([0, 0], [fn_source("<udf add>", ADD_SOURCE, "add"), fn_ref("operator:neg")]),
    row_layout=2, result_layout=1, partition_index=7, python_version="3.11", stage_id=3, partition_id=7, attempt_number=1,
    task_attempt_id=42, cpus=2, resources={"gpu": ["0", "1"]}, local_properties={"who": "golden"},
    files_folder="/tmp/files", faulthandler_folder="/tmp/fault", memory_limit_mb=512, includes=["lib"],
    removed_broadcasts=[3],
    added_broadcasts=[(4, "/tmp/b4.pickle")],
    conf={"k": "v"},
)
TASK_NON_UDF = TaskSpec.non_udf(
    fn_ref("pyworkers.jobs:run"), input_serializer=3, output_serializer=2, output_batch_size=500, partition_index=0,
    stage_id=0, task_attempt_id=0,
)

# Typed batches (section 5.2): 40 ints, from -2**63 up, and 32 floats; little-endian, as x86-64 and arm64 hosts write.
TYPED_LONGS = [-2 ** 63, 2 ** 63 - 1, -1, 0, 1, 2 ** 31, -2 ** 31 - 1] + [i * 1000003 for i in range(33)]
TYPED_DOUBLES = [-0.0, 0.5, -2.5, 1e300, float("inf"), float("-inf")] + [i / 4 for i in range(26)]

# Row values as the JVM pickles them (section 5.5): what the standard library must read, without pytz.
JVM_VALUES = [None, True, -1, 2 ** 40, -0.0, "a\ud800\u00e9", b"\x00\xff", decimal.Decimal("1E-100"),
              datetime.date(1582, 10, 10), datetime.datetime(9999, 12, 31, 23, 59, 59, 999999),
              datetime.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=datetime.timezone.utc)]


# A NON_UDF data section, JVM -> worker (section 5.2): records (None is a NULL frame), then -1, -4.
DATA_RECORDS = [b"ab", None, b"", "h\u00e9".encode("utf-8")]

# Task output, worker -> JVM (section 5.3): a UTF-8 record, the exception frame, timing, and the end block.
OUTPUT_RECORD = "h\u00e9llo"
OUTPUT_EXCEPTION = ("ValueError", "bad record 3: '\u00e9'",
                    "Traceback (most recent call last):\n  File \"job.py\", line 2, in f\nValueError: bad record 3\n")
OUTPUT_TIMING = (1764633600000, 1764633600100, 1764633600250, 1764633600900)
OUTPUT_UPDATES = [pickle.dumps(5, protocol=4), pickle.dumps("x", protocol=4)]


def encode_data_section(records: List[object]) -> bytes:
    """A data section as the JVM writes it, independent of the worker's reader: each record ``int`` length + bytes,
    ``None`` as ``int -5``, then ``int -1``, ``int -4``."""
    parts = [struct.pack(">i", -5) if r is None else struct.pack(">i", len(r)) + r for r in records]
    return b"".join(parts) + struct.pack(">ii", -1, -4)


def _written(records: List[object], kind: SerializerKind) -> bytes:
    """What the worker's output serializer writes for ``records``."""
    chunks: List[bytes] = []
    serializers.write_records(chunks.append, records, kind, 1)
    return b"".join(chunks)


def encode_jvm_values(values: List[object]) -> bytes:
    """A list pickled the way the JVM's pickler writes it (docs/protocol.md 5.2 plain form and 5.5), opcode by
    opcode; independent of both the JVM's code and Python's pickler."""
    def global_(module: str, name: str) -> bytes:
        return b"c" + module.encode() + b"\n" + name.encode() + b"\n"

    def small(v: int) -> bytes:
        return b"K" + bytes([v]) if v < 256 else b"M" + struct.pack("<H", v) if v < 65536 else b"J" + struct.pack("<i", v)

    def text(s: str) -> bytes:
        b = s.encode("utf-8", "surrogatepass")
        return b"X" + struct.pack("<I", len(b)) + b

    def one(v: object) -> bytes:
        if v is None:
            return b"N"
        if v is True or v is False:
            return b"\x88" if v else b"\x89"
        if isinstance(v, int):
            if 0 <= v < 2 ** 31:
                return small(v)
            if -2 ** 31 <= v < 0:
                return b"J" + struct.pack("<i", v)
            raw = pickle.encode_long(v)  # LONG1: the fewest little-endian two's complement bytes
            return b"\x8a" + bytes([len(raw)]) + raw
        if isinstance(v, float):
            return b"G" + struct.pack(">d", v)
        if isinstance(v, str):
            return text(v)
        if isinstance(v, bytes):
            return (b"C" + bytes([len(v)]) if len(v) < 256 else b"B" + struct.pack("<I", len(v))) + v
        if isinstance(v, decimal.Decimal):
            return global_("decimal", "Decimal") + text(str(v)) + b"\x85R"
        if isinstance(v, datetime.datetime):
            fields = (v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond)
            utc = global_("datetime", "timezone") + global_("datetime", "timedelta") + b"K\x00K\x00K\x00\x87R\x85R"
            return (global_("datetime", "datetime") + b"(" + b"".join(small(f) for f in fields)
                    + (utc if v.tzinfo is datetime.timezone.utc else b"") + b"tR")
        if isinstance(v, datetime.date):
            return global_("datetime", "date") + small(v.year) + small(v.month) + small(v.day) + b"\x87R"
        raise TypeError("no JVM form for %r" % (v,))

    return b"\x80\x02](" + b"".join(one(v) for v in values) + b"e."


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
    ("worker_exit_code.bin", "daemon stdout, worker exit report: PWKX, pid 4242, how 1 (exited), code 3, signal name "
                             "empty, 5 log lines"),
    ("worker_exit_signal.bin", "daemon stdout, worker exit report: PWKX, pid 4242, how 2 (killed by a signal), "
                               "signal 9, signal name `SIGKILL`, 17 log lines"),
    ("task_header_udf.bin", "task command 7 and SQL_BATCHED_UDF header: python 3.11, stage 3, partition 7, attempt 1, "
                            "task attempt 42, cpus 2, resource gpu=[0, 1], local property who=golden, files folder "
                            "`/tmp/files`, faulthandler folder `/tmp/fault`, 1 task setting (key 1, memory limit: 512 "
                            "MiB), include `lib`, removed broadcast 3, added "
                            "broadcast 4 at `/tmp/b4.pickle`, conf k=v, UDF 1: offsets [0], `udfs:inc`; UDF 2: offsets "
                            "[0, 0], source `<udf add>` defining add, then `operator:neg`; row layout 2; result "
                            "layout 1"),
    ("task_header_non_udf.bin", "task command 0 and NON_UDF header: no python version check, stage 0, partition 0, "
                                "attempt 0, task attempt 0, cpus 1, nothing else set (0 task settings), chain "
                                "`pyworkers.jobs:run`, "
                                "input raw bytes (3), output UTF-8 (2), output batch size 500"),
    ("typed_batch_q.bin", "typed batch, code `q`: -2**63, 2**63-1, -1, 0, 1, 2**31, -2**31-1, then 1000003*i for i "
                          "in 0..32 (40 values, little-endian)"),
    ("typed_batch_d.bin", "typed batch, code `d`: -0.0, 0.5, -2.5, 1e300, inf, -inf, then i/4 for i in 0..25 (32 "
                          "values, little-endian)"),
    ("jvm_values.bin", "a list of row values as the JVM pickles them (section 5.5): None, True, -1, 2**40, -0.0, "
                       "'a\\ud800é' (a lone surrogate), b'\\x00\\xff', Decimal('1E-100'), date(1582, 10, 10), "
                       "naive datetime(9999, 12, 31, 23, 59, 59, 999999), datetime(1969, 12, 31, 23, 59, 59, 999999, "
                       "tzinfo=timezone.utc)"),
    ("data_section_records.bin", "NON_UDF data section, JVM to worker: records b'ab', None (-5), b'', 'hé' as "
                                 "UTF-8, then -1 (END_OF_DATA_SECTION), -4 (END_OF_STREAM)"),
    ("output_data.bin", "worker to JVM: one data frame of the UTF-8 output serializer, the record `%s`" % OUTPUT_RECORD),
    ("output_null.bin", "worker to JVM: a `None` record of the UTF-8 output serializer, -5 (NULL)"),
    ("output_exception.bin", "worker to JVM: -2 (PYTHON_EXCEPTION_THROWN), type `%s`, message `%s`, traceback of "
                             "%d characters ending `%s`" % (OUTPUT_EXCEPTION[0], OUTPUT_EXCEPTION[1],
                                                           len(OUTPUT_EXCEPTION[2]), "ValueError: bad record 3\\n")),
    ("output_timing.bin", "worker to JVM: -3 (TIMING_DATA), worker boot %d, task start %d, functions ready %d, "
                          "finish %d (epoch ms)" % OUTPUT_TIMING),
    ("output_end.bin", "worker to JVM: -1 (END_OF_DATA_SECTION) end block with 2 accumulator updates, "
                       "pickle.dumps(5, protocol=4) and pickle.dumps('x', protocol=4)"),
    ("output_end_of_stream.bin", "worker to JVM: the answer -4 (END_OF_STREAM) to the JVM's -4: the worker is reusable"),
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
        "worker_exit_code.bin": protocol.encode_worker_exit(EXIT_CODE),
        "worker_exit_signal.bin": protocol.encode_worker_exit(EXIT_SIGNAL),
        "task_header_udf.bin": encode_task(TASK_UDF),
        "task_header_non_udf.bin": encode_task(TASK_NON_UDF),
        "typed_batch_q.bin": _little_endian(encode_typed_batch(TYPED_LONGS), len(TYPED_LONGS)),
        "typed_batch_d.bin": _little_endian(encode_typed_batch(TYPED_DOUBLES), len(TYPED_DOUBLES)),
        "jvm_values.bin": encode_jvm_values(JVM_VALUES),
        "data_section_records.bin": encode_data_section(DATA_RECORDS),
        "output_data.bin": _written([OUTPUT_RECORD], SerializerKind.UTF8),
        "output_null.bin": _written([None], SerializerKind.UTF8),
        "output_exception.bin": task.encode_exception(*OUTPUT_EXCEPTION),
        "output_timing.bin": task.encode_timing(*OUTPUT_TIMING),
        "output_end.bin": task.encode_end(OUTPUT_UPDATES),
        "output_end_of_stream.bin": protocol.pack_int(SpecialLength.END_OF_STREAM),
    }


def _little_endian(typed: bytes, count: int) -> bytes:
    """A typed batch of ``count`` 8-byte values, little-endian whatever this host's order (golden files are fixed):
    the raw values sit just before the 5-byte tail."""
    if sys.byteorder == "little":
        return typed
    head = len(typed) - 5 - 8 * count
    raw = typed[head:-5]
    swapped = b"".join(raw[i:i + 8][::-1] for i in range(0, len(raw), 8))
    return typed[:head] + swapped + typed[-5:]


def readme_text(files: Dict[str, bytes]) -> str:
    lines = [
        "# Golden protocol bytes",
        "",
        "Exact bytes of each message in `docs/protocol.md` (both directions; section 6 there lists them by direction),",
        "written by `python/tests/make_golden.py` with the Python encoders. The Python tests",
        "(`python/tests/test_golden.py`, `test_one_byte_readers.py`) check that the encoders produce exactly these",
        "bytes; the Java tests encode what the JVM sends and compare with these files, and each side's readers decode",
        "the files it receives (also one byte at a time). Do not edit the files by hand: change the protocol, then run",
        "`cd python && python tests/make_golden.py`.",
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
