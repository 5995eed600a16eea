"""SQL_ARROW_BATCHED_UDF (101): plain row functions over Arrow batches, run through the real handler in-process."""
import datetime
import decimal

import pytest

import pyarrow as pa  # noqa: E402  (python/requirements-test.txt installs it; missing, these tests fail)

from arrow_golden import run_handler  # noqa: E402
from pyworkers.arrow import batched, scalar  # noqa: E402
from test_arrow_scalar import LONGS, command, frames_of, results  # noqa: E402


def run(src, udfs, types, *batches, partition=0):
    return results(run_handler(batched.HANDLER, command(src, udfs, types), frames_of(*batches), partition))


def test_eachRowIsOneCall_withNoneForNull_andNoArgumentsMeansOneCallPerRow():
    src = ("calls = []\n\ndef inc(x):\n    return None if x is None else x + 1\n\n"
           "def const():\n    return 'k'\n")
    schema, out = run(src, [("inc", [0]), ("const", [])], [pa.int64(), pa.string()], LONGS, LONGS.slice(0, 0))
    assert schema == pa.schema([("_0", pa.int64()), ("_1", pa.string())])
    assert [b.to_pydict() for b in out] == [{"_0": [2, None, 4], "_1": ["k", "k", "k"]}, {"_0": [], "_1": []}]


def test_valuesArriveAsTheirPythonTypes_andComeBackAsTheDeclaredArrowTypes():
    batch = pa.record_batch([
        pa.array([decimal.Decimal("1.25"), None], pa.decimal128(10, 2)),
        pa.array([datetime.date(2024, 2, 29), None], pa.date32()),
        pa.array([datetime.datetime(2024, 1, 1, 12), None], pa.timestamp("us", tz="UTC")),
        pa.array([[1, 2], None], pa.list_(pa.int64())),
        pa.array([{"a": 1, "b": "x"}, None], pa.struct([("a", pa.int64()), ("b", pa.string())])),
        pa.array([[("k", 1)], None], pa.map_(pa.string(), pa.int64())),
        pa.array([datetime.timedelta(seconds=3), None], pa.duration("us")),
    ], names=list("abcdefg"))
    src = ("def kinds(*vs):\n    return ','.join(type(v).__name__ for v in vs)\n\n"
           "def same(v):\n    return v\n\n"
           "def tz(t):\n    return None if t is None else t.utcoffset().total_seconds()\n")
    udfs = [("kinds", [0, 1, 2, 3, 4, 5, 6])] + [("same", [i]) for i in range(7)] + [("tz", [2])]
    types = [pa.string()] + [f.type for f in batch.schema] + [pa.float64()]
    _, out = run(src, udfs, types, batch)
    got = out[0].to_pydict()
    assert got["_0"] == ["Decimal,date,datetime,list,dict,list,timedelta", "NoneType," * 6 + "NoneType"]
    for i in range(7):
        assert got["_%d" % (i + 1)] == batch.column(i).to_pylist()
    assert got["_8"] == [0.0, None]


def test_aFractionForAnIntColumn_failsInsteadOfBeingTruncated_andWholeFloatsAreCastBack():
    src = "def half(x):\n    return x / 2\n\ndef twice(x):\n    return x * 2.0\n"
    longs = pa.record_batch([pa.array([2, 3], pa.int64())], names=["x"])
    with pytest.raises(scalar.ArrowResultError, match=r"^UDF 1 \(half\) on input batch 0 of partition 5 returned 1.5 "
                                                      r"\(a float\) on row 1, which its declared result type int64 "
                                                      r"would change into 1"):
        run(src, [("half", [0])], [pa.int64()], longs, partition=5)
    _, out = run(src, [("twice", [0])], [pa.int64()], longs)
    assert out[0].column(0).to_pylist() == [4, 6]
    assert out[0].column(0).type == pa.int64()


def test_overflowAndAWrongKind_failNamingTheValueTheRowAndTheType():
    src = "def big(x):\n    return 2 ** 40\n\ndef word(x):\n    return 'w%s' % x\n"
    with pytest.raises(scalar.ArrowResultError, match=r"returned 1099511627776 \(a int\) on row 0, which does not "
                                                      r"convert to its declared result type int32"):
        run(src, [("big", [0])], [pa.int32()], LONGS)
    with pytest.raises(scalar.ArrowResultError, match=r"returned 'w1' \(a str\) on row 0, which does not convert to "
                                                      r"its declared result type int64"):
        run(src, [("word", [0])], [pa.int64()], LONGS)


def test_aRowThatRaises_keepsItsException_withTheRowAndItsArgumentsInANote():
    src = "def f(x, y):\n    return x // y\n"
    batch = pa.record_batch([pa.array([4, 5]), pa.array([2, 0])], names=["x", "y"])
    with pytest.raises(ZeroDivisionError) as info:
        run(src, [("f", [0, 1])], [pa.int64()], batch, partition=2)
    assert info.value.__notes__ == ["on row 1 of the batch, arguments (5, 0)",
                                    "while running UDF 1 (f) on input batch 0 of partition 2"]


def test_toValue_ofAnAggregate_neverTruncates_andCastsWholeFloatsBack():
    assert batched.to_value(2.0, pa.int64(), "UDF g").to_pylist() == [2]
    assert batched.to_value(None, pa.int64(), "UDF g").to_pylist() == [None]
    with pytest.raises(scalar.ArrowResultError, match=r"^UDF g returned 0.5 \(a float\), which its declared result "
                                                      r"type int64 would change into 0"):
        batched.to_value(0.5, pa.int64(), "UDF g")


@pytest.mark.parametrize("value, declared", [
    (5, pa.bool_()), (1, pa.bool_()), (0, pa.bool_()), (True, pa.int64()), ("12", pa.int64()), ("1.5", pa.float64()),
    (3, pa.string()), (3, pa.large_string()), (datetime.datetime(2024, 1, 1, 12), pa.date32()),
    ("2024-01-01", pa.timestamp("us")), ("2024-01-01", pa.date32()), (b"ab", pa.string()), ("ab", pa.binary()),
    ([1, 2], pa.list_(pa.string())), ({"a": 1}, pa.struct([("a", pa.bool_())])),
], ids=lambda v: type(v).__name__ if not isinstance(v, pa.DataType) else str(v))
def test_aValueOfAnotherKind_failsNamingIt_thoughArrowsCastsWouldConvertIt(value, declared):
    src = "VALUE = %r\n\ndef f(x):\n    return VALUE\n" % (value,)
    if isinstance(value, datetime.datetime):
        src = "import datetime\n" + src
    with pytest.raises(scalar.ArrowResultError, match=r"^UDF 1 \(f\) on input batch 0 of partition 0 returned "):
        run(src, [("f", [0])], [declared], LONGS)
    with pytest.raises(scalar.ArrowResultError, match=r"^UDF g returned "):
        batched.to_value(value, declared, "UDF g")


@pytest.mark.parametrize("value, declared, expected", [
    (3, pa.float64(), 3.0), (2 ** 40, pa.int32(), None), (7, pa.int8(), 7), (1.0, pa.int16(), 1),
    (decimal.Decimal("1.50"), pa.decimal128(10, 2), decimal.Decimal("1.50")),
    (datetime.datetime(2024, 1, 1, 12), pa.timestamp("ns"), datetime.datetime(2024, 1, 1, 12)),
    (datetime.date(2024, 1, 1), pa.date64(), datetime.date(2024, 1, 1)), ("x", pa.large_string(), "x"),
    ([1, None], pa.list_(pa.int32()), [1, None]), ({"a": 1}, pa.struct([("a", pa.int8())]), {"a": 1}),
    (None, pa.bool_(), None),
], ids=str)
def test_aValueOfTheSameKind_isCastToTheDeclaredWidthOrUnit_orFailsWhenItDoesNotFit(value, declared, expected):
    if expected is None and value is not None:
        with pytest.raises(scalar.ArrowResultError, match=r"^UDF g returned "):
            batched.to_value(value, declared, "UDF g")
        return
    array = batched.to_value(value, declared, "UDF g")
    assert array.type == declared and array.to_pylist() == [expected]
