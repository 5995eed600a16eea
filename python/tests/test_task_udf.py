"""SQL_BATCHED_UDF tasks through real workers (daemon and simple): one frame out per frame in, one result per row,
bare values for one UDF and tuples for several, offsets, chains, and the values Python's pickle carries."""
import datetime
import decimal
import pickle

from pyworkers_testing.harness import TaskSpec, fn_pickled, fn_ref, typed_frames, udf_frames
from pwfake_task_functions import describe

IDENTITY = fn_ref("pwfake_task_functions:identity")
PLUS_ONE = fn_ref("pwfake_task_functions:plus_one")
DOUBLE = fn_ref("pwfake_task_functions:double")
ADD = fn_ref("pwfake_task_functions:add")


def test_identityAndPlusOne_overManyBatches_oneOutputFramePerInputFrame(workers):
    worker = workers.open()
    rows = [(i,) for i in range(100_000)]
    result = worker.run_task(TaskSpec.udf(([0], [IDENTITY])), udf_frames(rows, 1000)).ok()
    assert len(result.frames) == 100
    assert result.udf_results() == list(range(100_000))
    result = worker.run_task(TaskSpec.udf(([0], [PLUS_ONE])), udf_frames(rows, 333)).ok()
    assert [len(pickle.loads(f)) for f in result.frames] == [333] * 300 + [100]
    assert result.udf_results() == list(range(1, 100_001))
    assert all(f[:2] == b"\x80\x04" for f in result.frames)  # pickle protocol 4


def test_severalUdfs_withTheirOwnOffsets_giveOneTuplePerRow(workers):
    worker = workers.open()
    rows = [(i, 10 * i, "s%d" % i) for i in range(1000)]
    constant = fn_ref("pwfake_task_functions:constant")
    task = TaskSpec.udf(([1], [PLUS_ONE]), ([0, 1], [ADD]), ([2], [IDENTITY]), ([], [constant]))
    result = worker.run_task(task, udf_frames(rows, 64)).ok()
    assert result.udf_results() == [(10 * i + 1, 11 * i, "s%d" % i, "c") for i in range(1000)]


def test_chainedUdf_appliesOuterToInner_onlyInnermostGetsTheArguments(workers):
    worker = workers.open()
    rows = [(i, i + 1) for i in range(10)]
    task = TaskSpec.udf(([0, 1], [ADD, DOUBLE, PLUS_ONE]))  # plus_one(double(add(a, b)))
    assert worker.run_task(task, udf_frames(rows, 4)).ok().udf_results() == [2 * (2 * i + 1) + 1 for i in range(10)]
    task = TaskSpec.udf(([1], [PLUS_ONE, DOUBLE]), ([0], [DOUBLE, PLUS_ONE]))
    assert worker.run_task(task, udf_frames(rows, 4)).ok().udf_results() == [
        (2 * (i + 2), 2 * i + 1) for i in range(10)]


def test_noneValues_passBothWays(workers):
    worker = workers.open()
    rows = [(None,), (1,), (None,)]
    describe = fn_ref("pwfake_task_functions:describe")
    result = worker.run_task(TaskSpec.udf(([0], [describe]), ([0], [IDENTITY])), udf_frames(rows)).ok()
    assert result.udf_results() == [("NoneType:None", None), ("int:1", 1), ("NoneType:None", None)]


def test_unicodeNestedAndRichValues_roundTripLikeInProcessPython(workers):
    worker = workers.open()
    values = [
        "ünïcødé ✓ 𝄞", "", "日本語", [1, [2, [3, None]]], {"k": [1, {"n": "ö"}]}, decimal.Decimal("12345.678901"),
        datetime.date(2024, 2, 29), datetime.datetime(2024, 1, 2, 3, 4, 5, 6), 2 ** 100, -1.5, float("inf"),
        b"\x00\xff", (1, "t"), True, {1, 2},
    ]
    rows = [[v] for v in values]  # rows may be lists as well as tuples
    result = worker.run_task(TaskSpec.udf(([0], [IDENTITY]), ([0], [fn_ref("pwfake_task_functions:describe")])),
                             udf_frames(rows, 4)).ok()
    assert result.udf_results() == [(v, describe(v)) for v in values]


def test_emptyBatchAndEmptyPartition(workers):
    worker = workers.open()
    assert worker.run_task(TaskSpec.udf(([0], [IDENTITY])), []).ok().frames == []
    result = worker.run_task(TaskSpec.udf(([0], [IDENTITY])), [pickle.dumps([], 2)]).ok()
    assert [pickle.loads(f) for f in result.frames] == [[]]


def test_cloudpickledClosure_seesItsCapturedValues(workers):
    worker = workers.open()
    factor = 7
    task = TaskSpec.udf(([0], [fn_pickled(lambda x: x * factor)]))
    assert worker.run_task(task, udf_frames([(i,) for i in range(5)])).ok().udf_results() == [0, 7, 14, 21, 28]


def test_offsetBeyondTheRow_saysWhichUdfOffsetAndRow(workers):
    worker = workers.open()
    kind, message, _ = worker.run_task(TaskSpec.udf(([0], [IDENTITY]), ([3], [IDENTITY])),
                                       udf_frames([(1, 2, 3, 4), (1, 2)])).failed()
    assert kind == "IndexError"
    assert message == "UDF 2 (identity(...)) reads the value at offset 3, but row 1 of the batch has only 2 value(s)"
    worker.ping()


def test_bareRowLayout_sendsColumnValuesWithoutTuples_forEveryUdfShape(workers):
    worker = workers.open()
    values = list(range(10_000)) + [None]
    constant = fn_ref("pwfake_task_functions:constant")
    task = TaskSpec.udf(([0], [PLUS_ONE, DOUBLE]), ([0, 0], [ADD]), ([], [constant]), ([0], [IDENTITY]), row_layout=2)
    values = values[:-1]
    result = worker.run_task(task, udf_frames(values, 1000)).ok()
    assert result.udf_results() == [(2 * (v + 1), 2 * v, "c", v) for v in values]
    one = worker.run_task(TaskSpec.udf(([0], [IDENTITY]), row_layout=2), udf_frames([[1, 2], None, "x"], 2)).ok()
    assert one.udf_results() == [[1, 2], None, "x"]


def test_resultsArePickledWithoutTheMemo_unlessTheyReferToThemselves():
    import pickletools
    from pyworkers.serializers import dumps_batch
    data = dumps_batch(["same", "same", 1, None])
    assert pickle.loads(data) == ["same", "same", 1, None]
    assert "MEMOIZE" not in [op.name for op, _, _ in pickletools.genops(data)]
    cyclic = []
    cyclic.append(cyclic)
    back = pickle.loads(dumps_batch(["a string first", cyclic]))
    assert back[1][0] is back[1]


def test_typedBatches_giveTheSameResultsAsPlainPickles_forBareValues(workers):
    worker = workers.open()
    longs = [i * 7919 - 10 ** 9 for i in range(10_000)] + [-2 ** 63, 2 ** 63 - 1]
    doubles = [i / 7 for i in range(5000)] + [float("inf"), -0.0]
    for values, batch in ((longs, 4096), (doubles, 1000), (list(range(32)), 32)):
        for udf in (IDENTITY, PLUS_ONE):
            task = TaskSpec.udf(([0], [udf]), row_layout=2)
            typed = worker.run_task(task, typed_frames(values, batch)).ok().udf_results()
            plain = worker.run_task(task, udf_frames(values, batch)).ok().udf_results()
            assert typed == plain
            assert [type(v) for v in typed] == [type(v) for v in plain]
    assert_reusable_after(worker)


def test_stopIterationInABareSingleUdf_namesTheRow_withoutCallingTheFunctionAgain(workers):
    worker = workers.open()
    stop = fn_ref("pwfake_task_functions:raise_stop_iteration")
    for frames in (udf_frames([0, 1, 2, 3], 4), udf_frames([0, 1, 5, 6, 7], 5), typed_frames(list(range(40)), 40)):
        kind, message, tb = worker.run_task(TaskSpec.udf(([0], [stop]), row_layout=2), frames).failed()
        assert kind == "RuntimeError"
        assert message.startswith("raise_stop_iteration (function 1 of 1 of UDF 1 (raise_stop_iteration(...))) on row "
                                  "2 of its batch raised StopIteration: no more ")
        assert "a function must not let StopIteration escape" in message
        assert "StopIteration: no more" in tb and "pwfake_task_functions.py" in tb
    assert_reusable_after(worker)


def assert_reusable_after(worker):
    result = worker.run_task(TaskSpec.udf(([0], [PLUS_ONE]), row_layout=2), udf_frames([1, 2, 3], 2)).ok()
    assert result.udf_results() == [2, 3, 4]


def test_loadsBatch_readsTheTypedFormAsAnArray_andLeavesEveryOtherPickleToTheUnpickler():
    from array import array
    from pyworkers_testing.harness import encode_typed_batch
    from pyworkers.serializers import loads_batch
    longs, doubles = list(range(-20, 20)), [i / 8 for i in range(-20, 20)]
    for values in (longs, doubles):
        typed = encode_typed_batch(values)
        for frame in (typed, memoryview(typed), bytearray(typed)):
            got = loads_batch(frame)
            assert type(got) is array and list(got) == values and list(got) == pickle.loads(typed)
    typed = encode_typed_batch(longs)
    code_at = typed.index(b"\x8c\x01q") + 2
    other_code = typed[:code_at] + b"i" + typed[code_at + 1:]  # a valid pickle, though not the typed form
    assert loads_batch(other_code) == pickle.loads(other_code) and type(loads_batch(other_code)) is list
    for bad in (typed[:-1], typed + b".", typed[:code_at] + b"z" + typed[code_at + 1:], typed[:-1] + b"\x00"):
        try:
            expected = pickle.loads(bad)
        except Exception as e:
            expected = type(e)
        try:
            got = loads_batch(bad)
        except Exception as e:
            got = type(e)
        assert got == expected
    assert loads_batch(pickle.dumps([1, "a", None], 2)) == [1, "a", None]


class _IntLike:
    """Not an int, but int-like (``__index__``), as numpy integers are."""

    def __init__(self, value):
        self.value = value

    def __index__(self):
        return self.value


def test_int64ResultLayout_sendsIntLikeBatchesTyped_andEveryOtherBatchPickledWithTheSameValues():
    from pyworkers.serializers import Int64BatchPickler, loads_batch
    dumps = Int64BatchPickler().dumps
    ints = [0, -1, 2 ** 63 - 1, -2 ** 63, 7]
    for batch, typed, values in (
        (ints, True, ints),
        ([True, False, _IntLike(5), 3], True, [1, 0, 5, 3]),
        ([1, None, _IntLike(5), True], False, [1, None, 5, 1]),
        ([1, 2 ** 63, -2 ** 63 - 1], False, [1, 2 ** 63, -2 ** 63 - 1]),
        ([1, 2.5, "x", b"y"], False, [1, 2.5, "x", b"y"]),
        ([], True, []),
    ):
        data = dumps(batch)
        assert (data[:2] == b"\x80\x04" and b"array.tolist" in data) is typed, batch
        back = pickle.loads(data)
        assert type(back) is list and back == values
        assert [type(v) for v in back] == [type(v) for v in values]
        assert list(loads_batch(data)) == values


def test_int64ResultLayout_throughAWorker_givesTheSameResultsAsPickledResults(workers):
    worker = workers.open()
    values = list(range(-3000, 3000)) + [None, 2 ** 63 - 1]
    for udf in (IDENTITY, PLUS_ONE, fn_ref("pwfake_task_functions:describe")):
        for batch in (1, 100, 4096):
            frames = list(udf_frames([v for v in values if v is not None or udf is IDENTITY], batch))
            typed = worker.run_task(TaskSpec.udf(([0], [udf]), row_layout=2, result_layout=2), frames)
            plain = worker.run_task(TaskSpec.udf(([0], [udf]), row_layout=2), frames).ok().udf_results()
            assert typed.ok().udf_results() == plain
            assert len(typed.frames) == len(frames)
    assert_reusable_after(worker)
