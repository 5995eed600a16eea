"""pyworkers-arrow's handlers in real workers, daemon and simple, that see the package as the jars extract it
(core's modules with pyworkers/arrow; harness.bundle_dir): the golden JVM input gives the golden worker output byte
for byte, applyInPandas over a real socket answers every group as pandas alone would, a user error fails only its
task, and the worker serves the next one."""
import pyarrow as pa  # noqa: E402  (python/requirements-test.txt installs it; missing, these tests fail)
import pandas as pd  # noqa: E402

from arrow_golden import ARROW_GOLDEN_DIR, split_frames  # noqa: E402
from pyworkers import protocol  # noqa: E402
from pyworkers_testing.harness import TaskSpec, fn_ref, udf_frames  # noqa: E402
from test_arrow_grouped import command as grouped_command, data, results  # noqa: E402

IDENTITY = TaskSpec.udf(([0], [fn_ref("pwfake_task_functions:identity")]))


def framed(frames):
    return b"".join(protocol.pack_int(len(f)) + f for f in frames) + protocol.pack_int(-1)


def golden_task(eval_type, handler, command_file, input_file):
    spec = TaskSpec(eval_type=eval_type, handler=handler, command=(ARROW_GOLDEN_DIR / command_file).read_bytes())
    return spec, split_frames((ARROW_GOLDEN_DIR / input_file).read_bytes())


def assert_serves_the_next_task(worker):
    assert worker.run_task(IDENTITY, udf_frames([(i,) for i in range(3)], 2)).ok().udf_results() == [0, 1, 2]


def test_scalarPandasGolden_inARealWorker_isTheGoldenOutput(bundled_workers):
    worker = bundled_workers.open()
    spec, frames = golden_task(200, "pyworkers.arrow.scalar_pandas:HANDLER", "scalar_pandas_command.bin",
                               "scalar_input.bin")
    result = worker.run_task(spec, frames).ok()
    assert framed(result.frames) == (ARROW_GOLDEN_DIR / "scalar_output.bin").read_bytes()
    assert_serves_the_next_task(worker)


def test_groupedArrowGolden_inARealWorker_isTheGoldenOutput(bundled_workers):
    worker = bundled_workers.open()
    spec, frames = golden_task(209, "pyworkers.arrow.grouped:HANDLER", "grouped_arrow_command.bin",
                               "grouped_input.bin")
    result = worker.run_task(spec, frames).ok()
    assert framed(result.frames) == (ARROW_GOLDEN_DIR / "grouped_output.bin").read_bytes()
    assert_serves_the_next_task(worker)


SOURCE = ("import pandas as pd\n\n"
          "def summary(pdf):\n"
          "    return pd.DataFrame({'k': [pdf.k.iloc[0]], 'n': [len(pdf)], 'dtype': [str(pdf.k.dtype)],\n"
          "                         'first': [int(pdf.index[0])], 'total': [pdf.v.sum()]})\n\n"
          "def boom(pdf):\n"
          "    if pdf.k.iloc[0] == 700:\n"
          "        raise KeyError('seven hundred')\n"
          "    return pdf[['k']]\n")
SUMMARY = pa.schema([("k", pa.int64()), ("n", pa.int64()), ("dtype", pa.string()), ("first", pa.int64()),
                     ("total", pa.float64())])


def groups(count):
    """``count`` groups of 1 to 5 rows; every 10th group has a null in k (whose dtype then is float64)."""
    out = []
    for g in range(count):
        n = g % 5 + 1
        k = [g] * n
        if g % 10 == 0 and n > 1:
            k[-1] = None
        out.append([pa.record_batch([pa.array(k, pa.int64()), pa.array([float(i) for i in range(n)])],
                                    names=["k", "v"])])
    return out


def test_applyInPandas_overARealSocket_answersEveryGroupAsPandasAloneWould(bundled_workers):
    worker = bundled_workers.open()
    input_groups = groups(2000)
    spec = TaskSpec(eval_type=201, handler="pyworkers.arrow.grouped_pandas:HANDLER",
                    command=grouped_command(SOURCE, "summary", SUMMARY))
    result = worker.run_task(spec, data(*input_groups)).ok()
    schema, out = results(framed(result.frames)[:-4])
    got = pa.Table.from_batches([b for b in out if not isinstance(b, tuple)], schema=schema).to_pylist()
    assert [r for r in out if isinstance(r, tuple)] == [("END", 1)] * len(input_groups)
    want = []
    for batches in input_groups:
        pdf = pa.Table.from_batches(batches).to_pandas()
        want.append({"k": int(pdf.k.iloc[0]), "n": len(pdf), "dtype": str(pdf.k.dtype), "first": int(pdf.index[0]),
                     "total": float(pdf.v.sum())})
    assert got == want
    assert_serves_the_next_task(worker)


def test_applyInPandas_userErrorMidStream_failsTheTaskNamingTheGroup_andTheWorkerServesTheNext(bundled_workers):
    worker = bundled_workers.open()
    spec = TaskSpec(eval_type=201, handler="pyworkers.arrow.grouped_pandas:HANDLER",
                    command=grouped_command(SOURCE, "boom", pa.schema([("k", pa.int64())])))
    result = worker.run_task(spec, data(*groups(1500)), stop_on_exception=True)
    kind, message, traceback = result.failed()
    assert "KeyError" in traceback and "seven hundred" in traceback
    assert "on group 700 (key (700)) of partition 0" in traceback
    ends = [f for f in result.frames if f is not None and len(f) == 8]
    assert len(ends) == 700  # every group before the failing one is answered, none after
    assert_serves_the_next_task(worker)
