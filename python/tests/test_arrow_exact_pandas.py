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
