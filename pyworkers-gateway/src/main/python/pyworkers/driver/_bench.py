"""``pyworkers bench gateway``: what the Python driver costs, against plain Py4J and ``multiprocessing``.

Run as ``python -m pyworkers.driver._bench [--json] [--repeat N] [--bulk-mb M] [--frame-mb F]`` (``pyworkers bench
gateway`` does, with ``PYWORKERS_JAR`` set to its own jar). Prints one line per measurement on stdout, progress on
stderr, and with ``--json`` one JSON object as the last line:

* a trivial static call (``Math.abs(-1)``, the method held) through the driver's gateway, through a second one with
  polling off (``spin_us=0``) and through a plain Py4J ``GatewayServer`` in its own JVM with default settings, in
  blocks taken in turn (goal: ours <= 50 us at the median and <= plain Py4J);
* bulk bytes from the JVM through a one-shot data socket (``DriverGateway.bulk``, written with the map job's frame
  writer), read with the map job's own frame reader (``_map._read_i32`` and ``_map._read_exact``), against a 10 MiB
  ``byte[]`` returned through Py4J (goal: >= 500 MB/s and >= 100x Py4J; MB here are MiB, 2**20 bytes);
* cold start, ``connect()`` to the first answered call, each a new JVM (goal: <= 1000 ms at the median);
* ``Gateway.map`` (gateway connected and its workers started before the timing) against
  ``multiprocessing.Pool(2).imap`` with the pool's start-up and shutdown inside the timing, and against a pool made
  before, over the same function and input, alternating (goal: <= 1.0 against the pool with its start-up).

Any result that differs from the expected one fails the run (exit 1).
"""
import argparse
import json
import multiprocessing
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from typing import Any, Callable, Dict, List

MIB = 1024 * 1024
CALLS = 20_000
WARMUP_CALLS = 5_000
CALL_BLOCKS = 20
PY4J_BYTES = 10 * MIB
MAP_N = 2_000_000
MAP_CHUNK = 10_000
CALL_GOAL_US = 50.0
BULK_GOAL_MB_S = 500.0
BULK_GOAL_RATIO = 100.0
COLD_GOAL_MS = 1000.0
MAP_GOAL_RATIO = 1.0
END = -1
#: The bulk transfer's frame: of 1, 4 and 16 MiB, 1 MiB was the fastest on the 2-core test machine (it and the
#: reader's bytearray stay in the caches; BENCHMARKS.md, bench gateway).
DEFAULT_FRAME_MB = 1


def f(x):
    """The mapped function, at module level so that both sides can pickle it."""
    return x + 1


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _percentiles(samples_s: List[float]) -> Dict[str, float]:
    s = sorted(samples_s)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))] * 1e6  # noqa: E731
    return {"p50": pick(0.50), "p90": pick(0.90), "p99": pick(0.99)}


def py4j_bytes_mb_s(jvm) -> float:
    """MiB/s of a 10 MiB ``byte[]`` made in the JVM and returned through Py4J (base64 in Py4J's text protocol); the
    median of 5, each timing only the call that returns the array."""
    bb = jvm.java.nio.ByteBuffer.allocate(PY4J_BYTES)
    got = bb.array()
    if not isinstance(got, (bytes, bytearray)) or len(got) != PY4J_BYTES:
        raise BenchError("a byte[] through Py4J came back as %s of %d bytes" % (type(got).__name__, len(got)))
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        got = bb.array()
        times.append(time.perf_counter() - t0)
        if len(got) != PY4J_BYTES:
            raise BenchError("a byte[] through Py4J came back with %d bytes of %d" % (len(got), PY4J_BYTES))
    return PY4J_BYTES / MIB / statistics.median(times)


class PlainPy4J:
    """Plain Py4J, default settings: ``java -cp <jar> py4j.GatewayServer --die-on-broken-pipe 0`` (the JVM's
    defaults too, no flags; the option only makes it exit when our stdin pipe closes) and a default
    ``JavaGateway``. A context manager; ``jvm`` is the gateway's view of the JVM."""

    def __init__(self, jar: str, java: str) -> None:
        from py4j.java_gateway import GatewayParameters, JavaGateway

        self._proc = subprocess.Popen([java, "-cp", jar, "py4j.GatewayServer", "--die-on-broken-pipe", "0"],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._gw = None
        try:
            line = self._proc.stdout.readline().decode().strip()
            if not line.isdigit():
                raise BenchError("py4j.GatewayServer printed %r, not its port" % (line,))
            self._gw = JavaGateway(gateway_parameters=GatewayParameters(port=int(line)))
            self.jvm = self._gw.jvm
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._gw is not None:
            self._gw.close()
        self._proc.kill()
        self._proc.wait()

    def __enter__(self) -> "PlainPy4J":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def interleaved_calls(calls: Dict[str, Callable[[], Any]], blocks: int = CALL_BLOCKS) -> Dict[str, Dict[str, float]]:
    """Each of ``calls`` timed ``CALLS`` times, in ``blocks`` blocks taken in turn (after ``WARMUP_CALLS`` of each),
    so that every one of them sees the machine's quiet and busy moments alike; percentiles over all its samples."""
    for call in calls.values():
        for _ in range(WARMUP_CALLS):
            call()
    per_block = CALLS // blocks
    clock = time.perf_counter
    samples: Dict[str, List[float]] = {name: [] for name in calls}
    for _ in range(blocks):
        for name, call in calls.items():
            block = [0.0] * per_block
            for i in range(per_block):
                t0 = clock()
                call()
                block[i] = clock() - t0
            samples[name].extend(block)
    return {name: _percentiles(s) for name, s in samples.items()}


def _math_abs(jvm, who: str) -> Callable[[], Any]:
    m = jvm.java.lang.Math.abs
    if m(-1) != 1:
        raise BenchError("%s: Math.abs(-1) was not 1" % (who,))
    return lambda: m(-1)


def bulk(gw, total: int, frame: int) -> float:
    """MiB/s of ``total`` bytes from the JVM in frames of ``frame``: connect, handshake and every frame, each read into
    a new bytearray by the map job's own reader (``_map._read_i32``, ``_map._read_exact``: ``recv_into`` a
    memoryview of it). The last frame's bytes are checked after the timing."""
    from pyworkers import auth

    from . import _map

    java_job = gw.entry_point.bulk(total, frame)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    job = _map._Job(sock, java_job)  # what _map's reader reports an early end with
    read_i32, read_exact = _map._read_i32, _map._read_exact
    last = bytearray()
    try:
        t0 = time.perf_counter()
        sock.connect(java_job.socketPath())
        auth.authenticate_to_jvm(sock, bytes.fromhex(java_job.secret()), os.getpid(), 15.0)
        sock.settimeout(None)
        got = frames = 0
        while True:
            n = read_i32(sock, job, gw)
            if n < 0:
                break
            last = read_exact(sock, n, job, gw)
            got += n
            frames += 1
        elapsed = time.perf_counter() - t0
    finally:
        job.close()
    if n != END:
        raise BenchError("bulk: the JVM sent marker %d, not the end (-1)" % n)
    if got != total or frames != -(-total // frame):
        raise BenchError("bulk: got %d bytes in %d frames, not %d bytes in frames of %d" % (got, frames, total, frame))
    if last != _pattern(len(last)):
        raise BenchError("bulk: the last frame's bytes are not the ones the JVM wrote")
    return total / MIB / elapsed


def _pattern(n: int) -> bytearray:
    """The bytes ``BulkSource`` writes in each frame: 0, 1, ..., 255, 0, ..."""
    return (bytearray(range(256)) * (n // 256 + 1))[:n]


def cold_start(connect, repeat: int) -> List[float]:
    times = []
    for i in range(repeat):
        t0 = time.perf_counter()
        gw = connect()
        try:
            if gw.jvm.java.lang.Math.abs(-1) != 1:
                raise BenchError("cold start: Math.abs(-1) was not 1")
            times.append((time.perf_counter() - t0) * 1000)
        finally:
            gw.close()
        _progress("cold start %d/%d: %.0f ms" % (i + 1, repeat, times[-1]))
    return times


def map_vs_pool(gw, repeat: int) -> Dict[str, Any]:
    if f.__module__ != "__main__":  # imported, not run with -m: the workers cannot import this module
        import cloudpickle

        cloudpickle.register_pickle_by_value(sys.modules[f.__module__])
    expected = [x + 1 for x in range(MAP_N)]
    t0 = time.perf_counter()
    first = list(gw.map(f, range(MAP_N), partitions=2, includes=[]))
    first_s = time.perf_counter() - t0
    _check(first, expected, "gw.map (first run)")
    del first
    ctx = multiprocessing.get_context()
    warm_pool = ctx.Pool(2)
    ours, pools, warm = [], [], []
    try:
        for i in range(repeat):
            t0 = time.perf_counter()
            got = list(gw.map(f, range(MAP_N), partitions=2, includes=[]))
            ours.append(time.perf_counter() - t0)
            _check(got, expected, "gw.map")
            del got
            t0 = time.perf_counter()
            with ctx.Pool(2) as pool:
                got = list(pool.imap(f, range(MAP_N), chunksize=MAP_CHUNK))
            pools.append(time.perf_counter() - t0)
            _check(got, expected, "multiprocessing.Pool.imap")
            del got
            t0 = time.perf_counter()
            got = list(warm_pool.imap(f, range(MAP_N), chunksize=MAP_CHUNK))
            warm.append(time.perf_counter() - t0)
            _check(got, expected, "multiprocessing.Pool.imap")
            del got
            _progress("map %d/%d: gw.map %.3f s, Pool(2) with start-up %.3f s, Pool(2) made before %.3f s"
                      % (i + 1, repeat, ours[-1], pools[-1], warm[-1]))
    finally:
        warm_pool.terminate()
        warm_pool.join()
    return {"first_s": first_s, "ours_s": statistics.median(ours), "pool_s": statistics.median(pools),
            "warm_pool_s": statistics.median(warm), "start_method": ctx.get_start_method()}


class BenchError(Exception):
    """A measurement gave a wrong result: the run fails."""


def _check(got: List[int], expected: List[int], what: str) -> None:
    if got != expected:
        first = next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected)))
        raise BenchError("%s gave other results: %d elements instead of %d, the first difference at index %d"
                         % (what, len(got), len(expected), first))


def main(argv=None) -> int:
    try:
        return _main(argv)
    except BenchError as e:
        print("pyworkers bench gateway: FAILED: %s" % (e,), file=sys.stderr, flush=True)
        return 1


def _main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pyworkers.driver._bench", description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON line last")
    parser.add_argument("--repeat", type=int, default=3, help="cold starts and map rounds (default 3)")
    parser.add_argument("--bulk-mb", type=int, default=1024, help="MiB for the bulk transfer (default 1024)")
    parser.add_argument("--frame-mb", type=int, default=DEFAULT_FRAME_MB,
                        help="MiB per frame of the reported bulk transfer (default %d; 1, 4 and 16 are all measured)"
                        % DEFAULT_FRAME_MB)
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.bulk_mb < 1 or args.frame_mb < 1:
        parser.error("--repeat, --bulk-mb and --frame-mb must be positive")

    from pyworkers.driver import _launch, connect

    jar = _launch.find_jar(None)
    java = _launch.find_java(None)
    out: Dict[str, Any] = {}
    lines: List[str] = []

    def say(line: str) -> None:
        lines.append(line)
        print(line, flush=True)

    _progress("cold start: connect() to the first answered call, %d fresh gateways" % args.repeat)
    cold = cold_start(connect, args.repeat)

    with connect() as gw:
        java_version = str(gw.jvm.java.lang.System.getProperty("java.version"))
        _progress("calls: Math.abs(-1) through the gateway, the gateway with spin_us=0 and plain Py4J "
                  "(py4j.GatewayServer, default settings), %d warm-up each, then %d timed each in %d blocks taken "
                  "in turn" % (WARMUP_CALLS, CALLS, CALL_BLOCKS))
        with connect(spin_us=0) as still, PlainPy4J(jar, java) as plain_gw:
            timed = interleaved_calls({"ours": _math_abs(gw.jvm, "the gateway"),
                                       "no_spin": _math_abs(still.jvm, "the gateway with spin_us=0"),
                                       "plain": _math_abs(plain_gw.jvm, "plain Py4J")})
            _progress("a %d MiB byte[] through the gateway's Py4J and through plain Py4J" % (PY4J_BYTES // MIB))
            ours_bytes = py4j_bytes_mb_s(gw.jvm)
            plain_bytes = py4j_bytes_mb_s(plain_gw.jvm)
        ours, no_spin, plain = timed["ours"], timed["no_spin"], timed["plain"]

        _progress("bulk: %d MiB from the JVM over the data socket, frames of 1, 4, 16 MiB" % args.bulk_mb)
        total = args.bulk_mb * MIB
        bulk(gw, min(total, 64 * MIB), args.frame_mb * MIB)  # warm-up: JIT the writer's loop
        by_frame = {}
        for fm in (1, 4, 16):
            by_frame[fm] = bulk(gw, total, fm * MIB)
            _progress("  frames of %d MiB: %.0f MB/s" % (fm, by_frame[fm]))
        bulk_mb_s = by_frame[args.frame_mb] if args.frame_mb in by_frame else bulk(gw, total, args.frame_mb * MIB)

        _progress("map: gw.map(f, range(%d), partitions=2) against multiprocessing.Pool(2).imap(chunksize=%d), "
                  "alternating %d times" % (MAP_N, MAP_CHUNK, args.repeat))
        mp = map_vs_pool(gw, args.repeat)

    cold_ms = statistics.median(cold)
    bulk_ratio = bulk_mb_s / ours_bytes
    map_ratio = mp["ours_s"] / mp["pool_s"]
    call_goal = ours["p50"] <= CALL_GOAL_US and ours["p50"] <= plain["p50"]
    bulk_goal = bulk_mb_s >= BULK_GOAL_MB_S and bulk_ratio >= BULK_GOAL_RATIO

    say("call Math.abs(-1), gateway     p50 %6.1f us  p90 %6.1f us  p99 %6.1f us  (goal p50 <= %.0f us and <= plain "
        "Py4J: %s)" % (ours["p50"], ours["p90"], ours["p99"], CALL_GOAL_US, "met" if call_goal else "MISSED"))
    say("call Math.abs(-1), spin_us=0   p50 %6.1f us  p90 %6.1f us  p99 %6.1f us  (the gateway without polling)"
        % (no_spin["p50"], no_spin["p90"], no_spin["p99"]))
    say("call Math.abs(-1), plain Py4J  p50 %6.1f us  p90 %6.1f us  p99 %6.1f us"
        % (plain["p50"], plain["p90"], plain["p99"]))
    say("bulk data socket, %d MiB in %d MiB frames: %.0f MiB/s (frames of 1 MiB: %.0f, 4 MiB: %.0f, 16 MiB: %.0f)"
        % (args.bulk_mb, args.frame_mb, bulk_mb_s, by_frame[1], by_frame[4], by_frame[16]))
    say("byte[] of %d MiB through the gateway's Py4J: %.1f MiB/s (plain Py4J: %.1f); bulk / Py4J = %.0fx  "
        "(goal >= %.0f MiB/s and >= %.0fx: %s)"
        % (PY4J_BYTES // MIB, ours_bytes, plain_bytes, bulk_ratio, BULK_GOAL_MB_S, BULK_GOAL_RATIO,
           "met" if bulk_goal else "MISSED"))
    say("cold start connect() to first call: median %.0f ms of %d  (goal <= %.0f ms: %s)"
        % (cold_ms, args.repeat, COLD_GOAL_MS, "met" if cold_ms <= COLD_GOAL_MS else "MISSED"))
    say("map over %d ints: gw.map %.3f s (first, cold workers: %.3f s); Pool(2) with start-up %.3f s; Pool(2) made "
        "before %.3f s" % (MAP_N, mp["ours_s"], mp["first_s"], mp["pool_s"], mp["warm_pool_s"]))
    say("ratio gw.map / Pool(2) with start-up = %.2f  (goal <= %.1f: %s); gw.map / Pool(2) made before = %.2f"
        % (map_ratio, MAP_GOAL_RATIO, "met" if map_ratio <= MAP_GOAL_RATIO else "MISSED",
           mp["ours_s"] / mp["warm_pool_s"]))

    if args.json:
        r = lambda v, d=1: round(v, d)  # noqa: E731
        out.update({
            "python": platform.python_version(),
            "java_version": java_version,
            "repeat": args.repeat,
            "call_p50_us": r(ours["p50"]), "call_p90_us": r(ours["p90"]), "call_p99_us": r(ours["p99"]),
            "call_no_spin_p50_us": r(no_spin["p50"]), "call_no_spin_p90_us": r(no_spin["p90"]),
            "call_no_spin_p99_us": r(no_spin["p99"]),
            "py4j_default_call_p50_us": r(plain["p50"]),
            "py4j_default_call_p90_us": r(plain["p90"]),
            "py4j_default_call_p99_us": r(plain["p99"]),
            "call_goal_met": call_goal,
            "bulk_mb": args.bulk_mb, "bulk_frame_mb": args.frame_mb,
            "bulk_mb_s": r(bulk_mb_s, 0),
            "bulk_mb_s_by_frame_mb": {str(k): r(v, 0) for k, v in by_frame.items()},
            "py4j_bytes_mb_s": r(ours_bytes),
            "py4j_default_bytes_mb_s": r(plain_bytes),
            "bulk_vs_py4j_bytes": r(bulk_ratio),
            "bulk_goal_met": bulk_goal,
            "cold_start_ms": r(cold_ms, 0),
            "cold_start_goal_met": cold_ms <= COLD_GOAL_MS,
            "map_s": r(mp["ours_s"], 3), "map_first_s": r(mp["first_s"], 3),
            "multiprocessing_s": r(mp["pool_s"], 3), "multiprocessing_pool_made_before_s": r(mp["warm_pool_s"], 3),
            "map_vs_multiprocessing": r(mp["ours_s"] / mp["pool_s"], 2),
            "map_vs_multiprocessing_pool_made_before": r(mp["ours_s"] / mp["warm_pool_s"], 2),
            "map_goal_met": map_ratio <= MAP_GOAL_RATIO,
            "multiprocessing_start_method": mp["start_method"],
        })
        print(json.dumps(out, separators=(",", ":")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
