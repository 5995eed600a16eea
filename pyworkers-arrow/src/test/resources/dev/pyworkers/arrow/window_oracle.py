"""The in-process oracle of WindowAggTest: the same window UDFs over the same rows with plain pandas or pyarrow in
one process, each row's frame cut by plain positional slicing (``Series.iloc`` / ``Array.slice``) of its partition.

python window_oracle.py SPEC.json INPUT.arrows OUTPUT.arrows
SPEC: {"kind": "pandas"|"arrow", "source": "...", "schema": "result schema, an IPC stream file path",
       "udfs": [{"name": f, "offsets": [..], "frame": ["unbounded"] | ["rows", start|null, end|null]
                 | ["bounds", lower column, upper column]}],
       "keys": [column, ..], "groups": [row count, ..] or null (then a partition is each run of rows with equal
       keys, nulls equal)}.
A null ROWS end is unbounded. Writes one batch per partition with rows, its rows' values in input order.
"""
import itertools
import json
import sys

import pandas as pd
import pyarrow as pa


def frame_of(frame, i, rows, table):
    if frame[0] == "unbounded":
        return 0, rows
    if frame[0] == "rows":
        start, end = frame[1], frame[2]
        lower = 0 if start is None else min(max(i + start, 0), rows)
        upper = rows if end is None else min(max(i + end + 1, 0), rows)
        return lower, upper
    return table.column(frame[1])[i].as_py(), table.column(frame[2])[i].as_py()


def value_array(kind, value, declared):
    if kind == "pandas":
        return pa.Array.from_pandas(pd.Series([value]), type=declared, safe=True)
    return pa.array([value.as_py() if isinstance(value, pa.Scalar) else value], type=declared)


def main(spec_path, input_path, output_path):
    with open(spec_path) as f:
        spec = json.load(f)
    scope = {}
    exec(compile(spec["source"], "<oracle>", "exec"), scope)
    with pa.OSFile(spec["schema"], "rb") as f:
        schema = pa.ipc.open_stream(f).schema
    with pa.OSFile(input_path, "rb") as f:
        table = pa.ipc.open_stream(f).read_all()
    sizes = spec["groups"]
    if sizes is None:
        keys = spec["keys"]
        rows = zip(*[table.column(c).to_pylist() for c in keys]) if keys else ([()] * table.num_rows)
        sizes = [len(list(run)) for _, run in itertools.groupby(rows)]
    pandas = spec["kind"] == "pandas"
    with pa.OSFile(output_path, "wb") as f, pa.ipc.new_stream(f, schema) as out:
        start = 0
        for size in sizes:
            part = table.slice(start, size)
            start += size
            if size == 0:
                continue
            columns = []
            for udf, field in zip(spec["udfs"], schema):
                fn = scope[udf["name"]]
                args = [part.column(o).to_pandas() if pandas else part.column(o).combine_chunks()
                        for o in udf["offsets"]]
                values = []
                for i in range(size):
                    lower, upper = frame_of(udf["frame"], i, size, part)
                    cut = [a.iloc[lower:upper] if pandas else a.slice(lower, upper - lower) for a in args]
                    values.append(value_array(spec["kind"], fn(*cut), field.type))
                columns.append(pa.concat_arrays(values))
            out.write_batch(pa.RecordBatch.from_arrays(columns, schema=schema))


if __name__ == "__main__":
    main(*sys.argv[1:4])
