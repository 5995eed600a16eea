"""pandas handlers never round a value on the way in: an int64 or uint64 column with a null and a value beyond 2**53
arrives as Python ints (object) instead of float64, and goes back exactly; smaller ones arrive as float64, as in
Spark. In this process, through the real handlers."""
import io

import pyarrow as pa  # noqa: E402  (python/requirements-test.txt installs it; missing, these tests fail)

from arrow_golden import run_handler  # noqa: E402
from pyworkers import evaltypes  # noqa: E402
from pyworkers.arrow import exact_pandas, grouped_pandas, scalar_pandas  # noqa: E402
from test_arrow_grouped import command as grouped_command, data, results as grouped_results  # noqa: E402
from test_arrow_scalar import command, frames_of, results  # noqa: E402

BIG = 2 ** 60 + 1


def test_bigIntsWithNulls_arriveAsPythonInts_andComeBackExactly_smallOnesAsFloat64():
    src = "def ident(s):\n    return s\n\ndef kind(s):\n    return [str(s.dtype)] * len(s)\n"
    batch = pa.record_batch([pa.array([BIG, None, -BIG], pa.int64()), pa.array([2 ** 64 - 1, None, 0], pa.uint64()),
                             pa.array([1, None, 3], pa.int64())], names=["a", "u", "s"])
    _, out = results(run_handler(scalar_pandas.HANDLER, command(
        src, [("ident", [0]), ("ident", [1]), ("ident", [2]), ("kind", [0]), ("kind", [2])],
        [pa.int64(), pa.uint64(), pa.int64(), pa.string(), pa.string()]), frames_of(batch)))
    got = out[0].to_pydict()
    assert got["_0"] == [BIG, None, -BIG]
    assert got["_1"] == [2 ** 64 - 1, None, 0]
    assert got["_2"] == [1, None, 3]
    assert got["_3"] == ["object"] * 3 and got["_4"] == ["float64"] * 3


def test_needsObjects_onlyForA64BitIntColumnWithANullAndAValueBeyondFloat64():
    assert exact_pandas.needs_objects(pa.array([2 ** 53 + 1, None]))
    assert exact_pandas.needs_objects(pa.chunked_array([[1], [None, -(2 ** 53) - 1]]))
    assert not exact_pandas.needs_objects(pa.array([2 ** 53, None]))
    assert not exact_pandas.needs_objects(pa.array([BIG, 1]))  # no null: int64 stays int64
    assert not exact_pandas.needs_objects(pa.array([None, None], pa.int64()))
    assert not exact_pandas.needs_objects(pa.array([1.5, None]))


def test_groupsConvertedTogether_eachSeeTheDtypeOfItsOwnConversion_bigIntsIncluded():
    src = ("import pandas as pd\n\ndef f(pdf):\n"
           "    return pd.DataFrame({'dtype': [str(pdf.a.dtype)], 'a': [pdf.a.iloc[0]]})\n")
    groups = [[pa.record_batch([pa.array(v, pa.int64())], names=["a"])]
              for v in ([1, 2], [BIG, None], [3, None], [BIG, BIG], [4])]
    cmd = grouped_pandas.HANDLER.read_command(io.BytesIO(grouped_command(
        src, "f", pa.schema([("dtype", pa.string()), ("a", pa.int64())]))))
    out = io.BytesIO()
    from arrow_golden import FrameInput
    grouped_pandas.HANDLER.load(cmd, evaltypes.TaskIO(0, FrameInput(data(*groups)), out))()
    _, frames = grouped_results(out.getvalue())
    rows = [b.to_pydict() for b in frames if not isinstance(b, tuple)]
    assert rows == [{"dtype": ["int64"], "a": [1]}, {"dtype": ["object"], "a": [BIG]},
                    {"dtype": ["float64"], "a": [3]}, {"dtype": ["int64"], "a": [BIG]},
                    {"dtype": ["int64"], "a": [4]}]


NESTED = [
    (pa.list_(pa.int64()), [[BIG, None], None, [-BIG]]),
    (pa.large_list(pa.uint64()), [[2 ** 64 - 1, None], [0]]),
    (pa.list_(pa.int64(), 2), [[BIG, None], [1, 2]]),
    (pa.struct([("a", pa.int64()), ("b", pa.string())]), [{"a": BIG, "b": "x"}, {"a": None, "b": None}, None]),
    (pa.map_(pa.string(), pa.int64()), [[("k", BIG), ("j", None)], None]),
    (pa.list_(pa.struct([("a", pa.list_(pa.int64()))])), [[{"a": [BIG, None]}], [None]]),
]


def test_bigIntsWithNullsInsideListsStructsAndMaps_comeBackExactly_throughTheScalarAndGroupedHandlers():
    src = "def ident(s):\n    return s\n"
    for t, values in NESTED:
        column = pa.array(values, t)
        assert exact_pandas.needs_objects(column), t
        assert exact_pandas.needs_objects(pa.chunked_array([column.slice(0, 1), column.slice(1)])), t
        _, out = results(run_handler(scalar_pandas.HANDLER, command(src, [("ident", [0])], [t]),
                                     frames_of(pa.record_batch([column], names=["c"]))))
        assert out[0].column(0).to_pylist() == values, t
        grouped = ("def f(pdf):\n    return pdf\n")
        cmd = grouped_pandas.HANDLER.read_command(io.BytesIO(grouped_command(grouped, "f", pa.schema([("c", t)]))))
        buffer = io.BytesIO()
        from arrow_golden import FrameInput
        grouped_pandas.HANDLER.load(cmd, evaltypes.TaskIO(0, FrameInput(data(
            [pa.record_batch([column], names=["c"])])), buffer))()
        _, frames = grouped_results(buffer.getvalue())
        assert [v for b in frames if not isinstance(b, tuple) for v in b.column(0).to_pylist()] == values, t


def test_needsObjects_nested_onlyWhenAnInt64InsideHasANullAndAValueBeyondFloat64():
    assert not exact_pandas.needs_objects(pa.array([[BIG, 1]], pa.list_(pa.int64())))  # no null
    assert not exact_pandas.needs_objects(pa.array([[2 ** 53, None]], pa.list_(pa.int64())))  # exact in float64
    assert not exact_pandas.needs_objects(pa.array([[BIG], None], pa.list_(pa.int64())))  # the null is the list's
    assert not exact_pandas.needs_objects(pa.array([{"a": 1, "b": None}], pa.struct([("a", pa.int32()),
                                                                                     ("b", pa.int32())])))
    assert not exact_pandas.needs_objects(pa.array([["x", None]], pa.list_(pa.string())))
