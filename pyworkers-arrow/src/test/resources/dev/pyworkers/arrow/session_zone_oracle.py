"""The in-process oracle of SessionTimeZoneTest: scalar pandas UDFs over the same batches in one plain Python
process, with Spark's session time zone conversion written out in plain pandas.

python session_zone_oracle.py SPEC.json INPUT.arrows OUTPUT.arrows
SPEC: {"zone": "Europe/Berlin" or null, "source": "...", "udfs": [{"name": f, "offsets": [..]}],
       "schema": "result schema, as an IPC stream file path"}. Writes one result batch per input batch.
"""
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


def main(spec_path, input_path, output_path):
    with open(spec_path) as f:
        spec = json.load(f)
    scope = {}
    exec(compile(spec["source"], "<oracle>", "exec"), scope)
    zone = spec["zone"]
    with pa.OSFile(spec["schema"], "rb") as f:
        schema = pa.ipc.open_stream(f).schema
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
