"""The in-process oracle of GroupedMapTest: the same grouped map function over the same rows with plain pandas or
pyarrow in one process.

python grouped_oracle.py SPEC.json INPUT.arrows OUTPUT.arrows
SPEC: {"kind": "pandas"|"arrow"|"pandas_agg"|"arrow_agg", "source": "...", "name": f (or "udfs": [{"name": f,
       "offsets": [..]}] for an aggregate: one row per group, column _i the value of UDF i), "keys": [column, ..], "key_argument": bool,
       "by_name": bool, "schema": "result schema, as an IPC stream file path",
       "groups": [row count, ..] or null (then a group is each run of rows with equal keys, nulls equal)}.
Writes every group's result rows, in group order, as one stream. Groups without rows are skipped.
"""
import itertools
import json
import sys

import pyarrow as pa


def main(spec_path, input_path, output_path):
    with open(spec_path) as f:
        spec = json.load(f)
    scope = {}
    exec(compile(spec["source"], "<oracle>", "exec"), scope)
    fn = scope.get(spec.get("name"))
    with pa.OSFile(spec["schema"], "rb") as f:
        schema = pa.ipc.open_stream(f).schema
    with pa.OSFile(input_path, "rb") as f:
        table = pa.ipc.open_stream(f).read_all()
    keys = spec["keys"]
    sizes = spec["groups"]
    if sizes is None:
        rows = zip(*[table.column(c).to_pylist() for c in keys]) if keys else ([()] * table.num_rows)
        sizes = [len(list(run)) for _, run in itertools.groupby(rows)]
    with pa.OSFile(output_path, "wb") as f, pa.ipc.new_stream(f, schema) as out:
        start = 0
        for size in sizes:
            group = table.slice(start, size)
            start += size
            if size == 0:
                continue
            if spec["kind"].endswith("_agg"):
                values = []
                for udf, field in zip(spec["udfs"], schema):
                    f = scope[udf["name"]]
                    if spec["kind"] == "pandas_agg":
                        value = f(*[group.column(o).to_pandas() for o in udf["offsets"]])
                        values.append(pa.array([value], type=field.type, from_pandas=True))
                    else:
                        value = f(*[group.column(o).combine_chunks() for o in udf["offsets"]])
                        values.append(pa.array([value.as_py() if isinstance(value, pa.Scalar) else value],
                                               type=field.type))
                out.write_batch(pa.RecordBatch.from_arrays(values, schema=schema))
                continue
            if spec["kind"] == "pandas":
                key = tuple(group.column(c)[0].as_py() for c in keys)
                arg = group.to_pandas()
            else:
                key = tuple(group.column(c)[0] for c in keys)
                arg = group
            result = fn(key, arg) if spec["key_argument"] else fn(arg)
            if spec["kind"] == "pandas":
                if len(result.columns) == 0 and len(result) == 0:
                    continue
                if not spec["by_name"]:
                    result.columns = schema.names
                result = pa.Table.from_pandas(result[schema.names], schema=schema, preserve_index=False, safe=True)
            else:
                if spec["by_name"]:
                    result = result.select(schema.names)
                result = pa.Table.from_arrays(result.columns, schema=schema)
            for batch in result.to_batches():
                out.write_batch(batch)


if __name__ == "__main__":
    main(*sys.argv[1:4])
