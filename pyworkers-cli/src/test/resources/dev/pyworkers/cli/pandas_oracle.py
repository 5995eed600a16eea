"""The oracle of RunPandasTest: FUNC run by plain pandas in one process over a whole input file.

    python pandas_oracle.py UDF.py:FUNC IN OUT_EXPECTED            writes FUNC's result as JSON lines
    python pandas_oracle.py UDF.py:FUNC IN --check-arrow OUT [SCHEMA]  compares an Arrow IPC file with FUNC's result

The input is read with pandas' own readers (pyarrow engine, nullable dtypes) as a whole, FUNC is called once, and the
result is written with the same to_json options as ``pyworkers run --pandas`` documents. --check-arrow reads OUT with
pyarrow and prints what differs (exit 1), or "same" (exit 0); SCHEMA, as --schema, is what the result is cast to."""
import importlib.util
import os
import sys

import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather


def load(spec):
    path, name = spec.rsplit(":", 1)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))  # as pyworkers loads FILE.py: its folder on sys.path
    module_spec = importlib.util.spec_from_file_location("oracle_udfs", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return getattr(module, name)


def read(path):
    if path.endswith(".jsonl"):
        return pd.read_json(path, lines=True, engine="pyarrow", dtype_backend="numpy_nullable")
    if path.endswith(".csv"):
        return pd.read_csv(path, engine="pyarrow", dtype_backend="numpy_nullable")
    return pd.read_feather(path, dtype_backend="numpy_nullable")


def main(argv):
    func = load(argv[1])
    result = func(read(argv[2]))
    if argv[3] != "--check-arrow":
        text = result.to_json(orient="records", lines=True, date_format="iso", date_unit="ns", double_precision=15,
                              force_ascii=False) if len(result) else ""
        with open(argv[3], "w", encoding="utf-8") as out:
            out.write(text if text.endswith("\n") or not text else text + "\n")
        return 0
    got = feather.read_table(argv[4])
    if len(argv) > 5:
        fields = [pa.field(n, pa.type_for_alias(t)) for n, t in (p.rsplit(":", 1) for p in argv[5].split(","))]
        want = pa.Table.from_pandas(result, schema=pa.schema(fields), preserve_index=False)
    else:
        want = pa.Table.from_pandas(result, preserve_index=False)
    want = want.replace_schema_metadata(None)
    if got.schema != want.schema:
        print("schemas differ:\n%s\nvs expected\n%s" % (got.schema, want.schema))
        return 1
    if not got.equals(want):
        print("rows differ:\n%s\nvs expected\n%s" % (got.to_pandas(), want.to_pandas()))
        return 1
    print("same: %d rows in %d batches" % (got.num_rows, pa.ipc.open_file(argv[4]).num_record_batches))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
