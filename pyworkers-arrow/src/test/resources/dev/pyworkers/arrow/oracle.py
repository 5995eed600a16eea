"""The in-process oracle of the JUnit suites: the same functions over the same batches with plain pyarrow/pandas.

python oracle.py SPEC.json INPUT.arrows OUTPUT.arrows
SPEC: {"kind": "pandas"|"arrow"|"rows", "source": "...", "udfs": [{"name": f, "offsets": [..]}],
       "schema": "result schema, as an IPC stream file path"}. Writes one result batch per input batch.
"""
import json
import sys

import pyarrow as pa


def main(spec_path, input_path, output_path):
    with open(spec_path) as f:
        spec = json.load(f)
    scope = {}
    exec(compile(spec["source"], "<oracle>", "exec"), scope)
    with pa.OSFile(spec["schema"], "rb") as f:
        schema = pa.ipc.open_stream(f).schema
    with pa.OSFile(input_path, "rb") as f:
        batches = list(pa.ipc.open_stream(f))
    with pa.OSFile(output_path, "wb") as f, pa.ipc.new_stream(f, schema) as out:
        for batch in batches:
            arrays = []
            for udf, field in zip(spec["udfs"], schema):
                fn = scope[udf["name"]]
                if spec["kind"] == "pandas":
                    result = fn(*[batch.column(o).to_pandas() for o in udf["offsets"]])
                    array = pa.Array.from_pandas(result, type=field.type, safe=True)
                    arrays.append(array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array)
                elif spec["kind"] == "rows":
                    columns = [batch.column(o).to_pylist() for o in udf["offsets"]]
                    values = [fn(*row) for row in zip(*columns)] if columns else [fn() for _ in range(len(batch))]
                    arrays.append(pa.array(values, type=field.type))
                else:
                    arrays.append(fn(*[batch.column(o) for o in udf["offsets"]]))
            out.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))


if __name__ == "__main__":
    main(*sys.argv[1:4])
