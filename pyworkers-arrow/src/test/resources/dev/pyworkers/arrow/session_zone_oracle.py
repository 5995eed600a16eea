"""The in-process oracle of SessionTimeZoneTest: scalar pandas UDFs over the same batches in one plain Python
process, with Spark's session time zone conversion written out in plain pandas.

python session_zone_oracle.py SPEC.json INPUT.arrows OUTPUT.arrows
SPEC: {"zone": "Europe/Berlin" or null, "source": "...", "udfs": [{"name": f, "offsets": [..]}],
       "schema": "result schema, as an IPC stream file path"}. Writes one result batch per input batch.
With "grouped": {"name": f, "keys": [column, ..]} instead of "udfs": applyInPandas with the key argument, a group
each run of rows with equal keys; writes each group's result, its columns matched by name.
"""
import itertools
import json
import sys

import pyarrow as pa


def argument(column, zone):
    series = column.to_pandas()
    if zone is not None and pa.types.is_timestamp(column.type) and column.type.tz is not None:
        # Spark: the instant's wall-clock time in the session zone, naive
        series = series.dt.tz_convert(zone).dt.tz_localize(None)
    return series


def result(series, declared, zone):
    if (zone is not None and pa.types.is_timestamp(declared) and declared.tz is not None
            and series.dtype.kind == "M" and getattr(series.dtype, "tz", None) is None):
        # Spark: a naive result is wall-clock time of the session zone (the test's values are never ambiguous)
        series = series.dt.tz_localize(zone, ambiguous=False)
    return pa.Array.from_pandas(series, type=declared, safe=True)


def key_value(scalar, zone):
    value = scalar.as_py()
    if zone is not None and value is not None and pa.types.is_timestamp(scalar.type) and scalar.type.tz is not None:
        # Spark takes the key from the converted column: the wall-clock time, naive
        value = argument(pa.array([value], scalar.type), zone).iloc[0].to_pydatetime()
    return value


def grouped(spec, scope, zone, schema, input_path, output_path):
    fn = scope[spec["grouped"]["name"]]
    keys = spec["grouped"]["keys"]
    with pa.OSFile(input_path, "rb") as f:
        table = pa.ipc.open_stream(f).read_all()
    sizes = [len(list(run)) for _, run in itertools.groupby(zip(*[table.column(c).to_pylist() for c in keys]))]
    with pa.OSFile(output_path, "wb") as f, pa.ipc.new_stream(f, schema) as out:
        start = 0
        for size in sizes:
            group = table.slice(start, size)
            start += size
            frame = group.to_pandas()
            for i, field in enumerate(group.schema):
                frame.isetitem(i, argument(group.column(i), zone))
            key = tuple(key_value(group.column(c)[0], zone) for c in keys)
            result = fn(key, frame)
            arrays = [result_array(result[field.name], field.type, zone) for field in schema]
            out.write_table(pa.Table.from_arrays(arrays, schema=schema))


def result_array(series, declared, zone):
    array = result(series, declared, zone)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def main(spec_path, input_path, output_path):
    with open(spec_path) as f:
        spec = json.load(f)
    scope = {}
    exec(compile(spec["source"], "<oracle>", "exec"), scope)
    zone = spec["zone"]
    with pa.OSFile(spec["schema"], "rb") as f:
        schema = pa.ipc.open_stream(f).schema
    if "grouped" in spec:
        return grouped(spec, scope, zone, schema, input_path, output_path)
    with pa.OSFile(input_path, "rb") as f:
        batches = list(pa.ipc.open_stream(f))
    with pa.OSFile(output_path, "wb") as f, pa.ipc.new_stream(f, schema) as out:
        for batch in batches:
            arrays = []
            for udf, field in zip(spec["udfs"], schema):
                values = scope[udf["name"]](*[argument(batch.column(o), zone) for o in udf["offsets"]])
                array = result(values, field.type, zone)
                arrays.append(array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array)
            out.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))


if __name__ == "__main__":
    main(*sys.argv[1:4])
