"""Writes the input of ArrowTypesTest: an Arrow IPC stream of batches over the types pandas and pyarrow UDFs meet
in practice, nested ones included, with nulls at every level (every 5th row, at a phase of its own per column);
the int64s inside the list and the struct reach beyond 2**53 next to their nulls, which float64 would round.

python types_data.py OUT.arrows ROWS...   (one batch per ROWS argument)
"""
import datetime
import decimal
import sys

import pyarrow as pa

FIELDS = [
    ("u8", pa.uint8()), ("u16", pa.uint16()), ("u32", pa.uint32()), ("u64", pa.uint64()),
    ("i64", pa.int64()), ("large_s", pa.large_string()), ("large_b", pa.large_binary()),
    ("ts_ns", pa.timestamp("ns")), ("ts_ms_tz", pa.timestamp("ms", tz="America/New_York")),
    ("dur_us", pa.duration("us")), ("dur_s", pa.duration("s")), ("dec38", pa.decimal128(38, 10)),
    ("list_i64", pa.list_(pa.int64())), ("list_s", pa.list_(pa.string())),
    ("struct", pa.struct([("a", pa.int64()), ("b", pa.string())])),
    ("map", pa.map_(pa.string(), pa.int64())),
    ("list_struct", pa.list_(pa.struct([("x", pa.float64())]))),
]


def value(name, r):
    x = r * 7919 + 13
    return {
        "u8": x % 256, "u16": x % 65536, "u32": x % 4_000_000_000, "u64": 2 ** 64 - 1 - x,
        "i64": x * 1_000_003 - 2 ** 40, "large_s": "l%d%s" % (x, "é" * (r % 3)), "large_b": bytes([x % 256, 0]),
        "ts_ns": datetime.datetime(2020, 1, 1) + datetime.timedelta(microseconds=x * 1013),
        "ts_ms_tz": datetime.datetime(2021, 6, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(
            milliseconds=x * 37),
        "dur_us": datetime.timedelta(microseconds=x * 3 - 500), "dur_s": datetime.timedelta(seconds=x % 100000),
        "dec38": decimal.Decimal(x * 12345) / decimal.Decimal(10 ** 7),
        "list_i64": [x + 2 ** 60, None, -x][: r % 4], "list_s": ["a%d" % x, None][: r % 3],
        "struct": {"a": None if r % 3 == 0 else x + 2 ** 60, "b": "b%d" % x},
        "map": [("k%d" % i, x + i) for i in range(r % 3)],
        "list_struct": [{"x": x / 4}, None, {"x": None}][: r % 4],
    }[name]


def batch(rows, seed):
    arrays = []
    for c, (name, kind) in enumerate(FIELDS):
        values = [None if (r + c) % 5 == 0 else value(name, r + seed) for r in range(rows)]
        arrays.append(pa.array(values, type=kind))
    return pa.record_batch(arrays, schema=pa.schema(FIELDS))


def main(path, *sizes):
    schema = pa.schema(FIELDS)
    with pa.OSFile(path, "wb") as f, pa.ipc.new_stream(f, schema) as out:
        seed = 0
        for n in sizes:
            out.write_batch(batch(int(n), seed))
            seed += int(n)


if __name__ == "__main__":
    main(*sys.argv[1:])
