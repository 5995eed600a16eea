"""NON_UDF tasks through real workers (daemon and simple): every serializer pair, NULLs, unicode, a large record,
empty partitions, big checksummed round trips, a function that stops reading early, chaining."""
import hashlib
import pickle

import pytest

from pyworkers_testing.harness import TaskSpec, fn_pickled, fn_ref, pickled_frames, typed_frames

PICKLED, UTF8, RAW = 1, 2, 3
ECHO = fn_ref("pwfake_task_functions:echo")


def frames_of(records, serializer, batch=3):
    if serializer == PICKLED:
        return list(pickled_frames(records, batch))
    if serializer == UTF8:
        return [None if r is None else r.encode("utf-8") for r in records]
    return [None if r is None else r for r in records]


def test_everySerializerPair_roundTripsRecordsAndNulls_onOneReusedWorker(workers):
    worker = workers.open()
    texts = ["a", "", None, "ünïcødé ✓ 𝄞", "x" * 1000, None]
    convert = {
        PICKLED: lambda t: t,
        UTF8: lambda t: t,
        RAW: lambda t: None if t is None else t.encode("utf-8"),
    }
    for source in (PICKLED, UTF8, RAW):
        for sink in (PICKLED, UTF8, RAW):
            records = [convert[source](t) for t in texts]
            expected = [convert[sink](t) for t in texts]
            task = TaskSpec.non_udf(
                fn_pickled(lambda i, it, conv=convert[sink]: (conv(r if not isinstance(r, bytes) else r.decode())
                                                              for r in it)),
                input_serializer=source, output_serializer=sink, output_batch_size=4,
            )
            result = worker.run_task(task, frames_of(records, source)).ok()
            assert result.records(sink) == expected, (source, sink)
            if sink == PICKLED:
                assert [len(pickle.loads(f)) for f in result.frames] == [4, 2]
            else:
                assert result.frames.count(None) == 2  # NULL frames (-5) for None records
    worker.ping()


def test_millionRecords_pickledBatches_roundTripWithChecksum(workers):
    worker = workers.open()
    n = 1_000_000
    task = TaskSpec.non_udf(ECHO, output_batch_size=1000)
    result = worker.run_task(task, pickled_frames(range(n), 1000)).ok()
    digest = hashlib.sha256()
    count = 0
    for frame in result.frames:
        batch = pickle.loads(frame)
        count += len(batch)
        digest.update(repr(batch).encode())
    expected = hashlib.sha256()
    for start in range(0, n, 1000):
        expected.update(repr(list(range(start, start + 1000))).encode())
    assert count == n and digest.hexdigest() == expected.hexdigest()
    assert len(result.frames) == 1000


def test_hundredThousandRawRecords_streamThroughAndKeepOrder(workers):
    worker = workers.open()
    records = [b"%07d" % i for i in range(100_000)]
    task = TaskSpec.non_udf(ECHO, input_serializer=RAW, output_serializer=RAW)
    result = worker.run_task(task, records).ok()
    assert hashlib.sha256(b"".join(result.frames)).digest() == hashlib.sha256(b"".join(records)).digest()


@pytest.mark.parametrize("serializer", [PICKLED, UTF8, RAW], ids=["pickled", "utf8", "raw"])
def test_tenMegabyteRecord_roundTrips(workers, serializer):
    worker = workers.open()
    big = "é" * (5 * 1024 * 1024) if serializer != RAW else bytes(range(256)) * (40 * 1024)
    records = ["small", big, "after"] if serializer != RAW else [b"small", big, b"after"]
    task = TaskSpec.non_udf(ECHO, input_serializer=serializer, output_serializer=serializer)
    result = worker.run_task(task, frames_of(records, serializer)).ok()
    assert result.records(serializer) == records


@pytest.mark.parametrize("serializer", [PICKLED, UTF8, RAW], ids=["pickled", "utf8", "raw"])
def test_emptyPartition_sendsNoDataFrames(workers, serializer):
    worker = workers.open()
    task = TaskSpec.non_udf(ECHO, input_serializer=serializer, output_serializer=serializer)
    result = worker.run_task(task, []).ok()
    assert result.frames == []
    result = worker.run_task(TaskSpec.non_udf(fn_ref("pwfake_task_functions:count")), []).ok()
    assert result.records() == [0]


def test_functionReadingOnlyFiveRecords_workerDrainsTheRest_andServesTheNextTask(workers):
    worker = workers.open()
    take_five = TaskSpec.non_udf(fn_ref("pwfake_task_functions:take_five"), input_serializer=RAW,
                                 output_serializer=RAW)
    result = worker.run_task(take_five, (b"r%d" % i for i in range(50_000))).ok()
    assert result.frames == [b"r0", b"r1", b"r2", b"r3", b"r4"]
    pickled = TaskSpec.non_udf(fn_ref("pwfake_task_functions:take_five"))
    assert worker.run_task(pickled, pickled_frames(range(10_000), 7)).ok().records() == [0, 1, 2, 3, 4]
    assert worker.run_task(TaskSpec.non_udf(ECHO), pickled_frames(range(10))).ok().records() == list(range(10))
    worker.ping()


def test_chainedFunctions_composeInnermostFirst_withThePartitionIndex(workers):
    worker = workers.open()
    task = TaskSpec.non_udf(
        fn_ref("pwfake_task_functions:upper"), fn_ref("pwfake_task_functions:tag_partition"),
        input_serializer=UTF8, output_serializer=UTF8, partition_index=7,
    )
    result = worker.run_task(task, [b"a", b"b"]).ok()
    assert result.records(UTF8) == ["7:A", "7:B"]  # tag(7, upper(7, it))


def test_pickledBatchInput_nullFrameIsANoneRecord(workers):
    worker = workers.open()
    frames = [pickle.dumps([1, 2], 2), None, pickle.dumps([3], 2)]
    assert worker.run_task(TaskSpec.non_udf(ECHO), frames).ok().records() == [1, 2, None, 3]


def test_outputOfWrongType_isATypeErrorNamingTypeAndIndex_andTheWorkerStaysReusable(workers):
    worker = workers.open()
    task = TaskSpec.non_udf(fn_pickled(lambda i, it: ["ok", 5]), output_serializer=UTF8)
    kind, message, _ = worker.run_task(task, pickled_frames(range(3))).failed()
    assert kind == "TypeError"
    assert message == "output record 1 is int 5, not str: the UTF-8 output serializer writes str records (or None)"
    task = TaskSpec.non_udf(fn_pickled(lambda i, it: [b"ok", "text"]), output_serializer=RAW)
    kind, message, _ = worker.run_task(task, []).failed()
    assert kind == "TypeError" and message.startswith("output record 1 is str 'text', not bytes-like")
    assert worker.run_task(TaskSpec.non_udf(ECHO), pickled_frames(range(3))).ok().records() == [0, 1, 2]


def test_functionReturningNone_orANonIterable_saysWhatItMustReturn(workers):
    worker = workers.open()
    kind, message, _ = worker.run_task(TaskSpec.non_udf(fn_pickled(lambda i, it: None)), []).failed()
    assert kind == "TypeError" and "returned None; it must return an iterable of records" in message
    kind, message, _ = worker.run_task(TaskSpec.non_udf(fn_pickled(lambda i, it: 3)), []).failed()
    assert kind == "TypeError" and "returned int, which is not iterable" in message


def test_invalidUtf8Input_isReportedWithTheRecordIndex(workers):
    worker = workers.open()
    task = TaskSpec.non_udf(ECHO, input_serializer=UTF8, output_serializer=UTF8)
    kind, message, _ = worker.run_task(task, [b"fine", b"\xff\xfe"]).failed()
    assert kind == "ValueError" and message.startswith("input record 1 is not valid UTF-8")
    worker.ping()


def test_typedBatchInput_isTheSameRecordsAsPlainPickles(workers):
    worker = workers.open()
    values = list(range(-5000, 5000)) + [2 ** 63 - 1]
    for frames in (typed_frames(values, 4096), typed_frames([v / 3 for v in values], 999)):
        frames = list(frames)
        expected = [r for f in frames for r in pickle.loads(f)]
        result = worker.run_task(TaskSpec.non_udf(ECHO, input_serializer=PICKLED, output_serializer=PICKLED), frames)
        assert result.ok().records() == expected
