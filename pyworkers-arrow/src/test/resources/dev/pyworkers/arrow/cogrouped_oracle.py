"""The in-process oracle of CogroupedMapTest: the same cogrouped map function over the same rows with plain pandas or
pyarrow in one process.

python cogrouped_oracle.py SPEC.json LEFT.arrows RIGHT.arrows OUTPUT.arrows
SPEC: {"kind": "pandas"|"arrow", "source": "...", "name": f, "left_keys": [column, ..], "right_keys": [..],
       "key_argument": bool, "by_name": bool, "schema": "result schema, as an IPC stream file path",
       "cogroups": [[left rows, right rows], ..] or null}.
With "cogroups" null, a cogroup is each key that occurs on either side (nulls one key), in ascending key order with
null first, each side's rows of that key; otherwise the given row counts, taken in order from each side. A cogroup
without rows on either side is skipped. Writes every cogroup's result rows, in order, as one stream.
"""
import json
import sys

import pyarrow as pa


def runs(table, keys):
    """{key tuple: (start, length)} of each run of equal keys (Python values: int32 1 and int64 1 are one key)."""
    columns = [table.column(c).to_pylist() for c in keys]
    out, start = {}, 0
    for i in range(table.num_rows + 1):
        if i == table.num_rows or (i > start and tuple(c[i] for c in columns) != tuple(c[start] for c in columns)):
            if i > start:
                key = tuple(c[start] for c in columns)
                assert key not in out, "the oracle's input is not sorted: key %r comes back" % (key,)
                out[key] = (start, i - start)
            start = i
    return out


def order(key):
    return tuple((0, 0) if v is None else (1, v) for v in key)


def main(spec_path, left_path, right_path, output_path):
    with open(spec_path) as f:
        spec = json.load(f)
    scope = {}
    exec(compile(spec["source"], "<oracle>", "exec"), scope)
    fn = scope[spec["name"]]
    with pa.OSFile(spec["schema"], "rb") as f:
        schema = pa.ipc.open_stream(f).schema
    tables = []
    for path in (left_path, right_path):
        with pa.OSFile(path, "rb") as f:
            tables.append(pa.ipc.open_stream(f).read_all())
    left, right = tables
    if spec["cogroups"] is None:
        lruns, rruns = runs(left, spec["left_keys"]), runs(right, spec["right_keys"])
        pairs = []
        for key in sorted(set(lruns) | set(rruns), key=order):
            pairs.append((lruns.get(key, (0, 0)), rruns.get(key, (0, 0))))
    else:
        pairs, ls, rs = [], 0, 0
        for nl, nr in spec["cogroups"]:
            pairs.append(((ls, nl), (rs, nr)))
            ls += nl
            rs += nr
    pandas = spec["kind"] == "pandas"
    with pa.OSFile(output_path, "wb") as f, pa.ipc.new_stream(f, schema) as out:
        for (l0, nl), (r0, nr) in pairs:
            if nl == 0 and nr == 0:
                continue
            lt, rt = left.slice(l0, nl), right.slice(r0, nr)
            source, keys = (lt, spec["left_keys"]) if nl else (rt, spec["right_keys"])
            if pandas:
                key = tuple(source.column(c)[0].as_py() for c in keys)
                a, b = lt.to_pandas(), rt.to_pandas()
            else:
                key = tuple(source.column(c)[0] for c in keys)
                a, b = lt, rt
            result = fn(key, a, b) if spec["key_argument"] else fn(a, b)
            if pandas:
                if len(result.columns) == 0 and len(result) == 0:
                    continue
                if not spec["by_name"]:
                    result.columns = schema.names
                result = pa.Table.from_pandas(result[schema.names], schema=schema, preserve_index=False, safe=True)
            else:
                if isinstance(result, pa.RecordBatch):
                    result = pa.Table.from_batches([result])
                if spec["by_name"]:
                    result = result.select(schema.names)
                result = pa.Table.from_arrays(result.columns, schema=schema)
            for batch in result.to_batches():
                out.write_batch(batch)


if __name__ == "__main__":
    main(*sys.argv[1:5])
