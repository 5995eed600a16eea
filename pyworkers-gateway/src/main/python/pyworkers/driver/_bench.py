"""``pyworkers bench gateway``: what the Python driver costs, against plain Py4J and ``multiprocessing``.

Run as ``python -m pyworkers.driver._bench [--json] [--repeat N] [--bulk-mb M] [--frame-mb F]``. Prints one line per
measurement on stdout, progress on stderr, and with ``--json`` one JSON object as the last line:

* a trivial static call (``Math.abs(-1)``) through the driver's gateway and through a plain Py4J ``GatewayServer`` in
  its own JVM with default settings (goal: ours <= 50 us at the median and <= plain Py4J);
* bulk bytes from the JVM through a one-shot data socket (``DriverGateway.bulk``), read as a map job's frames are,
  against a ``byte[]`` returned through Py4J (goal: >= 500 MB/s and >= 100x Py4J);
* cold start, ``connect()`` to the first answered call (goal: <= 1000 ms at the median);
* ``Gateway.map`` against ``multiprocessing.Pool(2).imap`` over the same function and input (goal: <= 1.0).
"""
import argparse
import json
import multiprocessing
import os
import platform
import socket
import statistics
import struct
import subprocess
import sys
import time
from typing import Any, Callable, Dict, List

MIB = 1024 * 1024
CALLS = 20_000
WARMUP_CALLS = 5_000
PY4J_BYTES = 10 * MIB
MAP_N = 2_000_000
MAP_CHUNK = 10_000
CALL_GOAL_US = 50.0
BULK_GOAL_MB_S = 500.0
BULK_GOAL_RATIO = 100.0
COLD_GOAL_MS = 1000.0
MAP_GOAL_RATIO = 1.0
_I32 = struct.Struct(">i")


def f(x):
    """The mapped function, at module level so that both sides can pickle it."""
    return x + 1


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _percentiles(samples_s: List[float]) -> Dict[str, float]:
    s = sorted(samples_s)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))] * 1e6  # noqa: E731
    return {"p50": pick(0.50), "p90": pick(0.90), "p99": pick(0.99)}


def time_calls(call: Callable[[], Any], n: int = CALLS, warmup: int = WARMUP_CALLS) -> Dict[str, float]:
    for _ in range(warmup):
        call()
    clock = time.perf_counter
    samples = [0.0] * n
    for i in range(n):
        t0 = clock()
        call()
        samples[i] = clock() - t0
    return _percentiles(samples)


def plain_py4j(jar: str, java: str) -> Dict[str, float]:
    """Plain Py4J, default settings: ``java -cp <jar> py4j.GatewayServer 0`` and a default ``JavaGateway``."""
    from py4j.java_gateway import GatewayParameters, JavaGateway

    proc = subprocess.Popen([java, "-cp", jar, "py4j.GatewayServer", "0"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        line = proc.stdout.readline().decode().strip()
        if not line.isdigit():
            raise RuntimeError("py4j.GatewayServer printed %r, not its port" % (line,))
        gw = JavaGateway(gateway_parameters=GatewayParameters(port=int(line)))
        try:
            m = gw.jvm.java.lang.Math.abs
            assert m(-1) == 1
            call = time_calls(lambda: m(-1))
            bb = gw.jvm.java.nio.ByteBuffer.allocate(PY4J_BYTES)
            got = bb.array()
            assert isinstance(got, (bytes, bytearray)) and len(got) == PY4J_BYTES, type(got)
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                got = bb.array()
                times.append(time.perf_counter() - t0)
            assert len(got) == PY4J_BYTES
            return {"call": call, "bytes_mb_s": PY4J_BYTES / MIB / statistics.median(times)}
        finally:
            gw.close()
    finally:
        proc.kill()
        proc.wait()


def bulk(gw, total: int, frame: int) -> float:
    """MB/s of ``total`` bytes from the JVM in frames of ``frame``, each read into a fresh bytearray with recv_into,
    as ``_map._read_exact`` reads a map job's result frames."""
    from pyworkers import auth

    job = gw.entry_point.bulk(total, frame)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        t0 = time.perf_counter()
        sock.connect(job.socketPath())
        auth.authenticate_to_jvm(sock, bytes.fromhex(job.secret()), os.getpid(), 15.0)
        sock.settimeout(None)
        got = 0
        while True:
            n = _I32.unpack(_read_exact(sock, 4))[0]
            if n < 0:
                break
            got += len(_read_exact(sock, n))
        elapsed = time.perf_counter() - t0
    finally:
        sock.close()
    if got != total:
        raise RuntimeError("bulk: got %d bytes of %d" % (got, total))
    return total / MIB / elapsed


def _read_exact(sock: socket.socket, n: int) -> bytearray:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        r = sock.recv_into(view[got:])
        if r == 0:
            raise RuntimeError("the JVM closed the bulk socket early")
        got += r
    return buf


def cold_start(connect, repeat: int) -> List[float]:
    times = []
    for i in range(repeat):
        t0 = time.perf_counter()
        gw = connect()
        try:
            assert gw.jvm.java.lang.Math.abs(-1) == 1
            times.append((time.perf_counter() - t0) * 1000)
        finally:
            gw.close()
        _progress("cold start %d/%d: %.0f ms" % (i + 1, repeat, times[-1]))
    return times


def map_vs_pool(gw, repeat: int) -> Dict[str, Any]:
    expected = [x + 1 for x in range(MAP_N)]
    t0 = time.perf_counter()
    first = list(gw.map(f, range(MAP_N), partitions=2, includes=[]))
    first_s = time.perf_counter() - t0
    assert first == expected, "gw.map gave other results"
    ctx = multiprocessing.get_context()
    warm_pool = ctx.Pool(2)
    ours, pools, warm = [], [], []
    try:
        for i in range(repeat):
            t0 = time.perf_counter()
            got = list(gw.map(f, range(MAP_N), partitions=2, includes=[]))
            ours.append(time.perf_counter() - t0)
            assert got == expected, "gw.map gave other results"
            del got
            t0 = time.perf_counter()
            with ctx.Pool(2) as pool:
                got = list(pool.imap(f, range(MAP_N), chunksize=MAP_CHUNK))
            pools.append(time.perf_counter() - t0)
            assert got == expected, "multiprocessing gave other results"
            del got
            t0 = time.perf_counter()
            got = list(warm_pool.imap(f, range(MAP_N), chunksize=MAP_CHUNK))
            warm.append(time.perf_counter() - t0)
            assert got == expected, "multiprocessing gave other results"
            del got
            _progress("map %d/%d: gw.map %.3f s, Pool(2) with start-up %.3f s, Pool(2) made before %.3f s"
                      % (i + 1, repeat, ours[-1], pools[-1], warm[-1]))
    finally:
        warm_pool.terminate()
        warm_pool.join()
    return {"first_s": first_s, "ours_s": statistics.median(ours), "pool_s": statistics.median(pools),
            "warm_pool_s": statistics.median(warm)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pyworkers.driver._bench", description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON line last")
    parser.add_argument("--repeat", type=int, default=3, help="cold starts and map rounds (default 3)")
    parser.add_argument("--bulk-mb", type=int, default=1024, help="MiB for the bulk transfer (default 1024)")
    parser.add_argument("--frame-mb", type=int, default=4, help="MiB per bulk frame (default 4)")
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
        _progress("calls: Math.abs(-1) through the gateway, %d warm-up then %d timed" % (WARMUP_CALLS, CALLS))
        m = gw.jvm.java.lang.Math.abs
        ours = time_calls(lambda: m(-1))
        _progress("calls and a %d MiB byte[] through plain Py4J (py4j.GatewayServer, default settings)"
                  % (PY4J_BYTES // MIB))
        plain = plain_py4j(jar, java)

        _progress("bulk: %d MiB from the JVM over the data socket, frames of 1, 4, 16 MiB" % args.bulk_mb)
        total = args.bulk_mb * MIB
        bulk(gw, 64 * MIB, args.frame_mb * MIB)  # warm-up: JIT the writer's loop
        by_frame = {}
        for fm in (1, 4, 16):
            by_frame[fm] = bulk(gw, total, fm * MIB)
            _progress("  frames of %d MiB: %.0f MB/s" % (fm, by_frame[fm]))
        bulk_mb_s = by_frame[args.frame_mb] if args.frame_mb in by_frame else bulk(gw, total, args.frame_mb * MIB)

        _progress("map: gw.map(f, range(%d), partitions=2) against multiprocessing.Pool(2).imap(chunksize=%d), "
                  "alternating %d times" % (MAP_N, MAP_CHUNK, args.repeat))
        mp = map_vs_pool(gw, args.repeat)

    cold_ms = statistics.median(cold)
    bulk_ratio = bulk_mb_s / plain["bytes_mb_s"]
    map_ratio = mp["ours_s"] / mp["pool_s"]
    call_goal = ours["p50"] <= CALL_GOAL_US and ours["p50"] <= plain["call"]["p50"]
    bulk_goal = bulk_mb_s >= BULK_GOAL_MB_S and bulk_ratio >= BULK_GOAL_RATIO

    say("call Math.abs(-1), gateway     p50 %6.1f us  p90 %6.1f us  p99 %6.1f us  (goal p50 <= %.0f us and <= plain "
        "Py4J: %s)" % (ours["p50"], ours["p90"], ours["p99"], CALL_GOAL_US, "met" if call_goal else "MISSED"))
    say("call Math.abs(-1), plain Py4J  p50 %6.1f us  p90 %6.1f us  p99 %6.1f us"
        % (plain["call"]["p50"], plain["call"]["p90"], plain["call"]["p99"]))
    say("bulk data socket, %d MiB in %d MiB frames: %.0f MB/s (1 MiB: %.0f, 4 MiB: %.0f, 16 MiB: %.0f)"
        % (args.bulk_mb, args.frame_mb, bulk_mb_s, by_frame[1], by_frame[4], by_frame[16]))
    say("byte[] of %d MiB through Py4J: %.1f MB/s; bulk / Py4J = %.0fx  (goal >= %.0f MB/s and >= %.0fx: %s)"
        % (PY4J_BYTES // MIB, plain["bytes_mb_s"], bulk_ratio, BULK_GOAL_MB_S, BULK_GOAL_RATIO,
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
            "py4j_default_call_p50_us": r(plain["call"]["p50"]),
            "py4j_default_call_p90_us": r(plain["call"]["p90"]),
            "py4j_default_call_p99_us": r(plain["call"]["p99"]),
            "call_goal_met": call_goal,
            "bulk_mb": args.bulk_mb, "bulk_frame_mb": args.frame_mb,
            "bulk_mb_s": r(bulk_mb_s, 0),
            "bulk_mb_s_by_frame_mb": {str(k): r(v, 0) for k, v in by_frame.items()},
            "py4j_bytes_mb_s": r(plain["bytes_mb_s"]),
            "bulk_vs_py4j_bytes": r(bulk_ratio),
            "bulk_goal_met": bulk_goal,
            "cold_start_ms": r(cold_ms, 0),
            "cold_start_goal_met": cold_ms <= COLD_GOAL_MS,
            "map_s": r(mp["ours_s"], 3), "map_first_s": r(mp["first_s"], 3),
            "multiprocessing_s": r(mp["pool_s"], 3), "multiprocessing_pool_made_before_s": r(mp["warm_pool_s"], 3),
            "map_vs_multiprocessing": r(mp["ours_s"] / mp["pool_s"], 2),
            "map_vs_multiprocessing_pool_made_before": r(mp["ours_s"] / mp["warm_pool_s"], 2),
            "map_goal_met": map_ratio <= MAP_GOAL_RATIO,
        })
        print(json.dumps(out, separators=(",", ":")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
