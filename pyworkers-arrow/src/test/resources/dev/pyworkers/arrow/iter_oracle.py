"""The in-process oracle of MapIterUdfTest: the same iterator function over the same batches with plain pyarrow and
pandas in one Python process, converted as Spark's mapInPandas/mapInArrow and iterator UDFs are.

python iter_oracle.py SPEC.json INPUT.arrows OUTPUT.arrows
SPEC: {"kind": "map_pandas"|"map_arrow"|"iter_pandas"|"iter_arrow", "source": "...", "name": f, "offsets": [..],
       "schema": "the declared result schema, as an IPC stream file path"}. Writes one batch per value yielded.
"""
import json
import sys

import pyarrow as pa


def main(spec_path, input_path, output_path):
    with open(spec_path) as f:
        spec = json.load(f)
    scope = {}
    exec(compile(spec["source"], "<oracle>", "exec"), scope)
    fn = scope[spec["name"]]
    kind = spec["kind"]
    with pa.OSFile(spec["schema"], "rb") as f:
        schema = pa.ipc.open_stream(f).schema
    with pa.OSFile(input_path, "rb") as f:
        batches = list(pa.ipc.open_stream(f))
    if kind == "map_pandas":
        args = (b.to_pandas() for b in batches)
    elif kind == "map_arrow":
        args = iter(batches)
    else:
        offsets = spec["offsets"]
        convert = (lambda a: a.to_pandas()) if kind == "iter_pandas" else (lambda a: a)
        args = (convert(b.column(offsets[0])) if len(offsets) == 1 else tuple(convert(b.column(o)) for o in offsets)
                for b in batches)
    with pa.OSFile(output_path, "wb") as f, pa.ipc.new_stream(f, schema) as out:
        for value in fn(args):
            if kind == "map_pandas":
                arrays = [pa.Array.from_pandas(value[field.name], type=field.type, safe=True) for field in schema]
            elif kind == "map_arrow":
                arrays = value.columns
            elif kind == "iter_pandas":
                arrays = [pa.Array.from_pandas(value, type=schema[0].type, safe=True)]
            else:
                arrays = [value]
            arrays = [a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a for a in arrays]
            out.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))


if __name__ == "__main__":
    main(*sys.argv[1:4])
