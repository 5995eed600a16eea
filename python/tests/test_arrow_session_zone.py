"""The session time zone of the pandas eval types (docs/protocol.md section 7.3.1), through the real handlers in this
process: with ``spark.sql.session.timeZone`` in the runner's conf a zoned timestamp column reaches the function as
naive wall-clock time of that zone and a naive result for a declared zoned type is localized in it, as Spark does;
an ambiguous or nonexistent wall-clock time fails naming the value and the zone instead of picking an instant; a
naive column, and every column of a task without the key, is unchanged. The expected values are plain pandas doing
Spark's conversion (``tz_convert(zone).tz_localize(None)``, ``tz_localize(zone)``) over the same data."""
import io
import zoneinfo

import pytest

import pyarrow as pa  # noqa: E402  (python/requirements-test.txt installs it; missing, these tests fail)
import pandas as pd  # noqa: E402

from arrow_golden import FrameInput, split_frames  # noqa: E402
from pyworkers import evaltypes, protocol  # noqa: E402
from pyworkers.arrow import (cogrouped, cogrouped_pandas, exact_pandas, grouped, grouped_agg_pandas,  # noqa: E402
                             grouped_pandas, iterators_pandas, scalar_pandas, window_pandas)
from pyworkers.arrow.scalar import ArrowResultError  # noqa: E402
from test_arrow_cogrouped import command as cogroup_command  # noqa: E402
from test_arrow_grouped import agg_command, command as grouped_command, data as grouped_data  # noqa: E402
from test_arrow_grouped import results as grouped_results  # noqa: E402
from test_arrow_iterators import iter_command, map_command  # noqa: E402
from test_arrow_scalar import command as scalar_command, frames_of, results  # noqa: E402
from test_arrow_window import answers, command as window_command, data as window_data  # noqa: E402

ZONE = "Europe/Berlin"
CONF = {exact_pandas.SESSION_TIME_ZONE: ZONE}
# instants around Berlin's spring-forward (2024-03-31 01:00 UTC) and fall-back (2024-10-27 01:00 UTC), a null; the
# fall-back hour's (00:00..01:59 UTC that day) are read only: as wall-clock time they cannot come back (see below)
INSTANTS = ["2024-03-31 00:59:59", "2024-03-31 01:00:00", None, "2024-10-26 23:59:59", "2024-10-27 02:00:00",
            "1969-12-31 23:59:59", "2024-06-01 12:00:00"]
FALL_BACK = ["2024-10-27 00:30:00", "2024-10-27 01:30:00"]  # both 02:30 in Berlin, first CEST then CET
UNITS = ["s", "ms", "us", "ns"]


def zoned(unit="us", tz="UTC", instants=INSTANTS):
    return pa.array(pd.Series(pd.to_datetime(instants, format="ISO8601")).dt.tz_localize("UTC"), pa.timestamp(unit, tz))


def wall_clock(array, zone=ZONE):
    """Spark's conversion of a zoned column for the function, in plain pandas."""
    return array.to_pandas().dt.tz_convert(zone).dt.tz_localize(None)


def texts(series):
    """``series.astype(str)`` as the function's result comes back: NaT is null."""
    return [None if pd.isna(v) else v for v in series.astype(str)]


def run(handler, command, frames, conf=CONF):
    cmd = handler.read_command(io.BytesIO(command))
    out = io.BytesIO()
    inp = FrameInput(frames)
    handler.load(cmd, evaltypes.TaskIO(0, inp, out, conf))()  # type: ignore[arg-type]
    return out.getvalue()


DESCRIBE = ("def kind(s):\n    return [str(s.dtype)] * len(s)\n\n"
            "def text(s):\n    return s.astype(str)\n\n"
            "def ident(s):\n    return s\n\n"
            "def later(s):\n    return s + __import__('pandas').Timedelta(hours=1)\n")


@pytest.mark.parametrize("unit", UNITS)
def test_scalar_zonedColumn_isNaiveWallClockOfTheSessionZone_andComesBackAsTheSameInstants(unit):
    column, naive = zoned(unit), pa.array(pd.to_datetime(INSTANTS, format="ISO8601"), pa.timestamp(unit))
    batch = pa.record_batch([column, naive], names=["t", "n"])
    _, out = results(run(scalar_pandas.HANDLER, scalar_command(
        DESCRIBE, [("kind", [0]), ("text", [0]), ("ident", [0]), ("kind", [1]), ("ident", [1])],
        [pa.string(), pa.string(), column.type, pa.string(), naive.type]), frames_of(batch)))
    got = out[0]
    assert got.column(0).to_pylist() == ["datetime64[%s]" % unit] * len(INSTANTS)
    assert got.column(1).to_pylist() == texts(wall_clock(column))
    assert got.column(2).equals(column)  # naive wall-clock time back to the declared zone: the same instants
    assert got.column(3).to_pylist() == ["datetime64[%s]" % unit] * len(INSTANTS)  # a naive column is untouched
    assert got.column(4).equals(naive)


def test_fallBackHour_readsAsOneWallClockTime_andReturnedUnchanged_failsRatherThanPickAnInstant():
    column = zoned("us", "UTC", FALL_BACK)
    batch = pa.record_batch([column], names=["t"])
    _, out = results(run(scalar_pandas.HANDLER, scalar_command(DESCRIBE, [("text", [0])], [pa.string()]),
                         frames_of(batch)))
    assert out[0].column(0).to_pylist() == texts(wall_clock(column)) == ["2024-10-27 02:30:00"] * 2
    with pytest.raises(ArrowResultError, match=r"returned the naive timestamp 2024-10-27 02:30:00 \(row 0 of 2; 2 "
                                               r"values fail so\) .* is ambiguous there"):
        run(scalar_pandas.HANDLER, scalar_command(DESCRIBE, [("ident", [0])], [column.type]), frames_of(batch))


def test_noSessionZone_zonedColumnStaysTzAware_andANaiveResultIsUtc_asBefore():
    column = zoned("us", "America/New_York")
    src = DESCRIBE + "\ndef naive(s):\n    return s.dt.tz_localize(None)\n"
    _, out = results(run(scalar_pandas.HANDLER, scalar_command(
        src, [("kind", [0]), ("ident", [0]), ("naive", [0])], [pa.string(), column.type, column.type]),
        frames_of(pa.record_batch([column], names=["t"])), conf={}))
    assert out[0].column(0).to_pylist() == ["datetime64[us, America/New_York]"] * len(INSTANTS)
    assert out[0].column(1).equals(column)
    expected = pa.array(column.to_pandas().dt.tz_localize(None).dt.tz_localize("UTC"), column.type)
    assert out[0].column(2).equals(expected)


def test_naiveResult_isLocalizedInTheSessionZone_thenTheDeclaredZone_andATzAwareOneKeepsItsInstant():
    column = zoned("us", "UTC", ["2024-01-15 10:00:00", None, "2024-07-15 10:00:00"])
    declared = pa.timestamp("us", "Asia/Tokyo")
    src = DESCRIBE + "\ndef aware(s):\n    return s.dt.tz_localize('America/New_York')\n"
    _, out = results(run(scalar_pandas.HANDLER, scalar_command(src, [("later", [0]), ("aware", [0])],
                                                               [declared, declared]),
                         frames_of(pa.record_batch([column], names=["t"]))))
    naive = wall_clock(column) + pd.Timedelta(hours=1)
    assert out[0].column(0).equals(pa.array(naive.dt.tz_localize(ZONE), declared))
    assert out[0].column(1).equals(pa.array(wall_clock(column).dt.tz_localize("America/New_York"), declared))


@pytest.mark.parametrize("value, what", [
    ("2024-10-27 02:30:00", "is ambiguous there (a fall-back hour: it is both 2024-10-27T02:30:00+02:00 and "
                            "2024-10-27T02:30:00+01:00)"),
    ("2024-03-31 02:30:00", "does not exist there (a spring-forward gap"),
], ids=["ambiguous", "nonexistent"])
def test_naiveResultInADstTransition_failsNamingTheUdfTheBatchTheValueAndTheZone(value, what):
    src = ("import pandas as pd\n\ndef fixed(s):\n"
           "    return pd.Series(pd.to_datetime(['2024-06-01 00:00:00', None, %r]))\n" % value)
    batch = pa.record_batch([zoned("us", "UTC", INSTANTS[:3])], names=["t"])
    with pytest.raises(ArrowResultError) as e:
        run(scalar_pandas.HANDLER, scalar_command(src, [("fixed", [0])], [pa.timestamp("us", "UTC")]),
            frames_of(batch))
    message = str(e.value)
    assert message.startswith("UDF 1 (fixed) on input batch 0 of partition 0 returned the naive timestamp %s "
                              "(row 2 of 3; 1 values fail so) for its declared type timestamp[us, tz=UTC]" % value)
    assert "session time zone Europe/Berlin (spark.sql.session.timeZone)" in message and what in message
    assert "return tz-aware values" in message


def test_tzAwareResultInADstTransition_isTheInstantItNames_noError():
    src = ("import pandas as pd\n\ndef fixed(s):\n    return pd.Series(pd.to_datetime(['2024-10-27 02:30'] * len(s)))"
           ".dt.tz_localize('Europe/Berlin', ambiguous=[False] * len(s))\n")
    batch = pa.record_batch([zoned("us", "UTC", INSTANTS[:2])], names=["t"])
    _, out = results(run(scalar_pandas.HANDLER, scalar_command(src, [("fixed", [0])], [pa.timestamp("us", "UTC")]),
                         frames_of(batch)))
    assert [str(v) for v in out[0].column(0).to_pylist()] == ["2024-10-27 01:30:00+00:00"] * 2


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "../etc/passwd", "+25:00"])
def test_unknownZone_failsTheTaskAtItsStart_namingTheKeyAndTheValue(name):
    inp = FrameInput(frames_of(pa.record_batch([zoned()], names=["t"])))
    cmd = scalar_pandas.HANDLER.read_command(io.BytesIO(scalar_command(DESCRIBE, [("ident", [0])], [zoned().type])))
    with pytest.raises(ValueError) as e:
        scalar_pandas.HANDLER.load(cmd, evaltypes.TaskIO(0, inp, io.BytesIO(),  # type: ignore[arg-type]
                                                         {exact_pandas.SESSION_TIME_ZONE: name}))
    assert str(e.value).startswith("the runner conf spark.sql.session.timeZone = %r names no time zone" % name)
    assert "'America/Los_Angeles'" in str(e.value) and inp.read_frame() is not evaltypes.END_OF_DATA  # nothing read


@pytest.mark.parametrize("name, hours", [("+05:30", 5.5), ("UTC-08", -8), ("GMT+0100", 1), ("Z", 0), ("UTC", 0)])
def test_offsetZones_asSparkAcceptsThem(name, hours):
    zone = exact_pandas.session_zone({exact_pandas.SESSION_TIME_ZONE: name})
    assert zone.name == name
    assert pd.Timestamp("2024-01-01", tz=zone.tz).utcoffset() == pd.Timedelta(hours=hours)
    column = zoned()
    _, out = results(run(scalar_pandas.HANDLER, scalar_command(DESCRIBE, [("text", [0]), ("ident", [0])],
                                                               [pa.string(), column.type]),
                         frames_of(pa.record_batch([column], names=["t"])),
                         conf={exact_pandas.SESSION_TIME_ZONE: name}))
    shifted = column.to_pandas().dt.tz_localize(None) + pd.Timedelta(hours=hours)
    assert out[0].column(0).to_pylist() == texts(shifted) and out[0].column(1).equals(column)


def test_noZoneKey_isNone_andAZoneIsOnlySetWhileItsTasksBodyRuns():
    assert exact_pandas.session_zone({}) is None
    src = ("from pyworkers.arrow import exact_pandas\n\n"
           "def seen(s):\n    return [exact_pandas.current_zone().name] * len(s)\n")
    _, out = results(run(scalar_pandas.HANDLER, scalar_command(src, [("seen", [0])], [pa.string()]),
                         frames_of(pa.record_batch([zoned()], names=["t"]))))
    assert set(out[0].column(0).to_pylist()) == {ZONE}
    assert exact_pandas.current_zone() is None


def test_scalarIter204_andMapInPandas205_convertInTheSessionZone():
    column = zoned("ms")
    batch = pa.record_batch([column], names=["t"])
    src = ("import pandas as pd\n\ndef it(batches):\n    for s in batches:\n        yield s + pd.Timedelta(days=1)\n\n"
           "def frames(dfs):\n    for df in dfs:\n"
           "        yield df.assign(w=df.t.astype(str), t=df.t + pd.Timedelta(days=1))\n")
    expected = pa.array((wall_clock(column) + pd.Timedelta(days=1)).dt.tz_localize(ZONE), column.type)
    _, out = results(run(iterators_pandas.SCALAR_PANDAS_ITER, iter_command(src, "it", [0], column.type),
                         frames_of(batch)))
    assert out[0].column(0).equals(expected)
    schema = pa.schema([("t", column.type), ("w", pa.string())])
    _, out = results(run(iterators_pandas.MAP_PANDAS, map_command(src, "frames", schema),
                         frames_of(batch)))
    assert out[0].column(0).equals(expected)
    assert out[0].column(1).to_pylist() == texts(wall_clock(column))


def group_batch(keys, instants, unit="us"):
    return pa.record_batch([zoned(unit, "UTC", keys), zoned(unit, "UTC", instants)], names=["k", "t"])


GROUPED = ("import pandas as pd\n\ndef f(key, pdf):\n"
           "    return pd.DataFrame({'key': [str(key[0])] * len(pdf), 'dtype': [str(pdf.t.dtype)] * len(pdf),\n"
           "                         'w': pdf.t.astype(str), 't': pdf.t + pd.Timedelta(days=1)})\n")


@pytest.mark.parametrize("groups", [1, 4], ids=["alone", "together"])
def test_groupedMap201_keyFrameAndResult_inTheSessionZone_alsoWhenGroupsAreConvertedTogether(groups):
    keys = ["2024-01-01 00:00", "2024-07-01 00:00", None, "2024-10-27 00:30"][:groups]
    parts = [[group_batch([k] * 2, [k, "2024-03-31 00:59:00"])] for k in keys]
    schema = pa.schema([("key", pa.string()), ("dtype", pa.string()), ("w", pa.string()),
                        ("t", pa.timestamp("us", "UTC"))])
    _, out = grouped_results(run(grouped_pandas.HANDLER, grouped_command(GROUPED, "f", schema, key_argument=True),
                                 grouped_data(*parts)))
    tables = [b for b in out if not isinstance(b, tuple)]
    assert len(tables) == groups
    for table, [part] in zip(tables, parts):
        t = part.column(1)
        key = part.column(0)[0].as_py()
        expected_key = "None" if key is None else str(key.astimezone(zoneinfo.ZoneInfo(ZONE)).replace(tzinfo=None))
        assert table.column(0).to_pylist() == [expected_key] * 2
        assert table.column(1).to_pylist() == ["datetime64[us]"] * 2
        assert table.column(2).to_pylist() == texts(wall_clock(t))
        assert table.column(3).equals(pa.array((wall_clock(t) + pd.Timedelta(days=1)).dt.tz_localize(ZONE),
                                               t.type))


def test_groupedMap201_anAmbiguousResult_namesItsGroup_evenAfterGroupsConvertedTogether():
    src = ("import pandas as pd\n\ndef f(pdf):\n"
           "    return pd.DataFrame({'t': pdf.t + pd.Timedelta(hours=1)})\n")
    # group 2's 23:30 UTC is 01:30 CEST on the fall-back day, wall-clock; an hour later is 02:30, both CEST and CET
    parts = [[group_batch(["2024-01-01"], ["2024-01-01 10:00"])], [group_batch(["2024-02-01"], ["2024-02-01 10:00"])],
             [group_batch(["2024-10-27"], ["2024-10-26 23:30"])]]
    schema = pa.schema([("t", pa.timestamp("us", "UTC"))])
    with pytest.raises(ArrowResultError) as e:
        run(grouped_pandas.HANDLER, grouped_command(src, "f", schema, key_argument=False), grouped_data(*parts))
    assert "group 2" in str(e.value) and "column 't'" in str(e.value)
    assert "naive timestamp 2024-10-27 02:30:00 for its declared type" in str(e.value)
    assert "is ambiguous there" in str(e.value)


def test_groupedAgg202_valueOfAZonedColumn_isWallClock_andANaiveResultIsLocalized():
    src = "def latest(t):\n    return t.max()\n\ndef kind(t):\n    return str(t.dtype)\n"
    parts = [[group_batch(["2024-01-01"] * 3, ["2024-01-01 10:00", None, "2024-05-01 23:30"], "ns")],
             [group_batch([None], [None], "ns")]]
    declared = pa.timestamp("ns", "UTC")
    _, out = grouped_results(run(grouped_agg_pandas.HANDLER, agg_command(src, [("latest", [1]), ("kind", [1])],
                                                                         [declared, pa.string()]),
                                 grouped_data(*parts)))
    rows = [b.to_pydict() for b in out if not isinstance(b, tuple)]
    latest = wall_clock(parts[0][0].column(1)).max()
    assert rows[0]["_0"] == [pa.scalar(pd.Timestamp(latest).tz_localize(ZONE), declared).as_py()]
    assert rows[0]["_1"] == ["datetime64[ns]"] and rows[1] == {"_0": [None], "_1": ["datetime64[ns]"]}


def test_windowAgg203_unboundedAndBoundedFrames_inTheSessionZone():
    src = "def first(t):\n    return t.iloc[0] if len(t) else None\n"
    instants = ["2024-03-30 23:00", "2024-03-31 01:30", None, "2024-10-27 02:30"]
    part = pa.record_batch([pa.array([1, 1, 1, 1], pa.int64()), zoned("us", "UTC", instants)], names=["k", "t"])
    declared = pa.timestamp("us", "UTC")
    udfs = [("first", [1], ()), ("first", [1], ("rows", 1, 2))]
    out, _ = answers(run(window_pandas.HANDLER, window_command(src, udfs, [declared, declared]), window_data([part])))
    walls = wall_clock(part.column(1))
    back = [None if pd.isna(w) else pd.Timestamp(w).tz_localize(ZONE) for w in walls]
    assert out[0][0]["_0"] == [pa.scalar(back[0], declared).as_py()] * 4
    # rows frame [i+1, i+2): the next row's value, the last row's frame is empty
    assert out[0][0]["_1"] == [pa.scalar(v, declared).as_py() if v is not None else None for v in back[1:] + [None]]


def cogroup_data(left, right):
    frames = [left.schema.serialize().to_pybytes(), right.schema.serialize().to_pybytes(),
              grouped.control_frame(grouped.GROUP_START, 0), left.serialize().to_pybytes(),
              grouped.control_frame(cogrouped.LEFT_END, left.num_rows), right.serialize().to_pybytes(),
              grouped.control_frame(grouped.GROUP_END, right.num_rows)]
    return frames


def test_cogroupedMap206_bothSidesAndTheKey_inTheSessionZone():
    src = ("import pandas as pd\n\ndef f(key, left, right):\n"
           "    both = pd.concat([left.t, right.t], ignore_index=True)\n"
           "    return pd.DataFrame({'key': [str(key[0])] * len(both), 't': both})\n")
    left = group_batch(["2024-07-01 00:00"] * 2, ["2024-07-01 00:00", None])
    right = group_batch(["2024-07-01 00:00"], ["2024-12-24 18:00"])
    schema = pa.schema([("key", pa.string()), ("t", pa.timestamp("us", "UTC"))])
    output = run(cogrouped_pandas.HANDLER, cogroup_command(src, "f", schema, key_argument=True),
                 cogroup_data(left, right))
    frames = [f for f in split_frames(output + protocol.pack_int(-1))
              if f[:4] == b"\xff\xff\xff\xff"]
    result_schema = pa.ipc.read_schema(pa.py_buffer(frames[0]))
    got = pa.ipc.read_record_batch(pa.py_buffer(frames[1]), result_schema)
    assert got.column(0).to_pylist() == ["2024-07-01 02:00:00"] * 3
    both = pa.concat_arrays([left.column(1), right.column(1)])
    assert got.column(1).equals(both)  # wall-clock there, localized back: the same instants


def test_objectResultOfNaiveDatetimes_isLocalizedToo_andOneMixingNaiveAndAwareFails():
    src = ("import datetime\n\ndef naive(s):\n    return pandas_objects([datetime.datetime(2024, 6, 1, 12), None])\n\n"
           "def mixed(s):\n    return pandas_objects([datetime.datetime(2024, 6, 1, 12),\n"
           "                           datetime.datetime(2024, 6, 1, 12, tzinfo=datetime.timezone.utc)])\n\n"
           "def pandas_objects(values):\n    import pandas as pd\n    return pd.Series(values, dtype=object)\n")
    batch = pa.record_batch([zoned("us", "UTC", INSTANTS[:2])], names=["t"])
    declared = pa.timestamp("us", "UTC")
    _, out = results(run(scalar_pandas.HANDLER, scalar_command(src, [("naive", [0])], [declared]), frames_of(batch)))
    assert [str(v) for v in out[0].column(0).to_pylist()] == ["2024-06-01 10:00:00+00:00", "None"]
    with pytest.raises(ArrowResultError, match="returned naive and tz-aware datetimes mixed"):
        run(scalar_pandas.HANDLER, scalar_command(src, [("mixed", [0])], [declared]), frames_of(batch))


def test_goldenSessionZoneTask_decodes_andTheHandlerInBerlinGivesTheGoldenWorkerOutput():
    from arrow_golden import ARROW_GOLDEN_DIR
    from make_golden_arrow import SESSION_ZONE_CONF, session_zone_output
    assert SESSION_ZONE_CONF == CONF
    command = scalar_pandas.HANDLER.read_command(io.BytesIO((ARROW_GOLDEN_DIR / "session_zone_command.bin")
                                                            .read_bytes()))
    assert [u.functions[0].name for u in command.udfs] == ["wall", "next_day"]
    assert command.result_schema == pa.schema([("_0", pa.string()), ("_1", pa.timestamp("us", "UTC"))])
    frames = split_frames((ARROW_GOLDEN_DIR / "session_zone_input.bin").read_bytes())
    column = pa.ipc.read_record_batch(pa.py_buffer(frames[1]), pa.ipc.read_schema(pa.py_buffer(frames[0]))).column(0)
    assert column.type == pa.timestamp("us", "UTC") and column.null_count == 1
    assert session_zone_output() == (ARROW_GOLDEN_DIR / "session_zone_output.bin").read_bytes(), (
        "regenerate with python tests/make_golden_arrow.py only for a deliberate change")
    _, out = results((ARROW_GOLDEN_DIR / "session_zone_output.bin").read_bytes()[:-4])
    assert out[0].column(0).to_pylist() == texts(wall_clock(column))
    assert out[0].column(1).equals(pa.array((wall_clock(column) + pd.Timedelta(days=1)).dt.tz_localize(ZONE),
                                            column.type))


def test_withoutZoneinfo_asOnPython38_pandasOwnZonesResolveTheName_andAnUnknownOneFailsAlike(monkeypatch):
    monkeypatch.setattr(exact_pandas, "zoneinfo", None)
    zone = exact_pandas.session_zone(CONF)
    assert pd.Timestamp("2024-07-01", tz=zone.tz).utcoffset() == pd.Timedelta(hours=2)
    column = zoned()
    _, out = results(run(scalar_pandas.HANDLER, scalar_command(DESCRIBE, [("text", [0])], [pa.string()]),
                         frames_of(pa.record_batch([column], names=["t"]))))
    assert out[0].column(0).to_pylist() == texts(wall_clock(column))
    with pytest.raises(ValueError, match="^the runner conf spark.sql.session.timeZone = 'Mars/Olympus_Mons' names no"):
        exact_pandas.session_zone({exact_pandas.SESSION_TIME_ZONE: "Mars/Olympus_Mons"})


NESTED_SRC = ("import pandas as pd\n\n"
              "def ident(s):\n    return s\n\n"
              "def list_text(s):\n    return s.map(lambda v: None if v is None else [None if pd.isna(x) else "
              "str(pd.Timestamp(x)) for x in v])\n\n"
              "def struct_text(s):\n    return s.map(lambda v: None if v is None else None if v['t'] is None else "
              "str(v['t']))\n\n"
              "def map_text(s):\n    return s.map(lambda v: None if v is None else [str(x) for _, x in v])\n\n"
              "def kinds(s):\n    return s.map(lambda v: None if v is None else type(v['t']).__name__ + "
              "str(getattr(v['t'], 'tzinfo', None)))\n")
NESTED_INSTANTS = [i for i in INSTANTS if i is not None]


def nested_columns(unit):
    leaf = pa.timestamp(unit, "UTC")
    flat = zoned(unit, "UTC", NESTED_INSTANTS)
    values = flat.to_pylist()
    lists = pa.array([values[:3], None, values[3:] + [None]], pa.list_(leaf))
    structs = pa.array([{"t": v} for v in values] + [None, {"t": None}], pa.struct([("t", leaf)]))
    maps = pa.array([[("a", values[0]), ("b", values[1])], None, [("c", values[-1])]], pa.map_(pa.string(), leaf))
    return flat, lists, structs, maps


@pytest.mark.parametrize("unit", ["us", "ns"])
def test_timestampsNestedInListsStructsAndMaps_areWallClockToo_andComeBackAsTheSameInstants(unit):
    flat, lists, structs, maps = nested_columns(unit)
    wall = texts(wall_clock(flat))
    for column, text, expected in [
        (lists, "list_text", [wall[:3], None, wall[3:] + [None]]),
        (structs, "struct_text", wall + [None, None]),
        (maps, "map_text", [wall[:2], None, [wall[-1]]]),
    ]:
        out_type = pa.list_(pa.string()) if text != "struct_text" else pa.string()
        _, out = results(run(scalar_pandas.HANDLER, scalar_command(NESTED_SRC, [(text, [0]), ("ident", [0])],
                                                                   [out_type, column.type]),
                             frames_of(pa.record_batch([column], names=["c"]))))
        assert out[0].column(0).to_pylist() == expected, column.type
        assert out[0].column(1).equals(column), column.type
        _, unset = results(run(scalar_pandas.HANDLER, scalar_command(NESTED_SRC, [("ident", [0])], [column.type]),
                               frames_of(pa.record_batch([column], names=["c"])), conf={}))
        assert unset[0].column(0).equals(column), column.type


def test_nestedTimestamps_withoutTheKey_arriveAsPyarrowGivesThem_andWithItAsNaive():
    _, _, structs, _ = nested_columns("us")
    batch = frames_of(pa.record_batch([structs.slice(0, 1)], names=["c"]))
    _, out = results(run(scalar_pandas.HANDLER, scalar_command(NESTED_SRC, [("kinds", [0])], [pa.string()]), batch))
    assert out[0].column(0).to_pylist() == ["datetimeNone"]
    _, out = results(run(scalar_pandas.HANDLER, scalar_command(NESTED_SRC, [("kinds", [0])], [pa.string()]), batch,
                         conf={}))
    assert out[0].column(0).to_pylist() == ["datetimeUTC"]


def test_nestedNaiveResultInAFallBackHour_failsNamingTheValueTheRowAndTheZone():
    src = ("import datetime\n\ndef f(s):\n"
           "    return s.map(lambda v: [datetime.datetime(2024, 10, 27, 2, 30)])\n")
    leaf = pa.timestamp("us", "UTC")
    column = pa.array([[None], [None]], pa.list_(leaf))
    with pytest.raises(ArrowResultError, match=r"returned the naive timestamp 2024-10-27 02:30:00 inside a value in "
                                               r"row 0 of 2 for its declared type timestamp\[us, tz=UTC\]; .* "
                                               r"Europe/Berlin .* is ambiguous there"):
        run(scalar_pandas.HANDLER, scalar_command(src, [("f", [0])], [column.type]),
            frames_of(pa.record_batch([column], names=["c"])))


def test_nestedTimestamps_inGroupedMapAndMapInPandas_inTheSessionZone():
    _, lists, structs, _ = nested_columns("us")
    schema = pa.schema([("l", lists.type)])
    src = ("def f(pdf):\n    return pdf\n")
    cmd = grouped_pandas.HANDLER.read_command(io.BytesIO(grouped_command(src, "f", schema)))
    out = io.BytesIO()
    grouped_pandas.HANDLER.load(cmd, evaltypes.TaskIO(0, FrameInput(grouped_data(
        [pa.record_batch([lists], names=["l"])])), out, CONF))()
    _, frames = grouped_results(out.getvalue())
    back = [v for b in frames if not isinstance(b, tuple) for v in b.column(0).to_pylist()]
    assert back == lists.to_pylist()
    text = ("def g(pdf):\n    import pandas as pd\n"
            "    return pd.DataFrame({'t': pdf.s.map(lambda v: None if v is None or v['t'] is None else "
            "str(v['t']))})\n")
    wall = texts(wall_clock(zoned("us", "UTC", NESTED_INSTANTS)))
    cmd = grouped_pandas.HANDLER.read_command(io.BytesIO(grouped_command(text, "g", pa.schema([("t", pa.string())]))))
    out = io.BytesIO()
    grouped_pandas.HANDLER.load(cmd, evaltypes.TaskIO(0, FrameInput(grouped_data(
        [pa.record_batch([structs], names=["s"])])), out, CONF))()
    _, frames = grouped_results(out.getvalue())
    assert [v for b in frames if not isinstance(b, tuple) for v in b.column(0).to_pylist()] == wall + [None, None]
