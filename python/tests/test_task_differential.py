"""Differential: a worker must give exactly what evaluating the same functions in-process gives, over seeded random
data of mixed types, for both eval types and several chains."""
import datetime
import decimal
import random

import pwfake_task_functions as fns
from pyworkers_testing.harness import TaskSpec, fn_ref, fn_source, pickled_frames, udf_frames

SOURCE = """
import datetime, decimal

def mix(a, b):
    if a is None or b is None:
        return None
    return (repr(a)[:20], type(b).__name__, isinstance(a, (int, float)) and not isinstance(a, bool))

def to_text(v):
    if isinstance(v, (datetime.date, decimal.Decimal)):
        return v.isoformat() if isinstance(v, datetime.date) else str(v)
    return repr(v)

def words(index, it):
    for record in it:
        for word in str(record).split():
            yield (index, word.lower())

def only_long(index, it):
    return [w for w in it if len(w[1]) > 3]
"""
NAMESPACE = {}
exec(compile(SOURCE, "diff_fns.py", "exec"), NAMESPACE)


def random_value(rng):
    kind = rng.randrange(9)
    if kind == 0:
        return None
    if kind == 1:
        return rng.randrange(-10 ** 12, 10 ** 12)
    if kind == 2:
        return rng.random() * 1e6
    if kind == 3:
        return "".join(rng.choice("abc ÄÖü日本 xyz") for _ in range(rng.randrange(12)))
    if kind == 4:
        return decimal.Decimal(rng.randrange(10 ** 9)) / 1000
    if kind == 5:
        return datetime.date(2000, 1, 1) + datetime.timedelta(days=rng.randrange(10000))
    if kind == 6:
        return [rng.randrange(5) for _ in range(rng.randrange(4))]
    if kind == 7:
        return {"k%d" % rng.randrange(3): rng.random()}
    return rng.random() < 0.5


def test_udfs_matchInProcessEvaluation(workers):
    rng = random.Random(20240601)
    rows = [tuple(random_value(rng) for _ in range(3)) for _ in range(5000)]
    worker = workers.open()
    udfs = [
        ([0, 2], [fn_source("diff_fns.py", SOURCE, "mix")], lambda r: NAMESPACE["mix"](r[0], r[2])),
        ([1], [fn_source("diff_fns.py", SOURCE, "to_text"), fn_ref("pwfake_task_functions:describe")],
         lambda r: fns.describe(NAMESPACE["to_text"](r[1]))),
        ([2], [fn_ref("pwfake_task_functions:identity")], lambda r: r[2]),
    ]
    task = TaskSpec.udf(*[(offsets, chain) for offsets, chain, _ in udfs])
    got = worker.run_task(task, udf_frames(rows, 97)).ok().udf_results()
    assert got == [tuple(expect(r) for _, _, expect in udfs) for r in rows]


def test_nonUdfChain_matchesInProcessEvaluation(workers):
    rng = random.Random(7)
    records = [random_value(rng) for _ in range(3000)]
    worker = workers.open()
    task = TaskSpec.non_udf(fn_source("diff_fns.py", SOURCE, "words"), fn_source("diff_fns.py", SOURCE, "only_long"),
                            partition_index=3, output_batch_size=50)
    got = worker.run_task(task, pickled_frames(records, 31)).ok().records()
    assert got == [tuple(x) for x in NAMESPACE["only_long"](3, NAMESPACE["words"](3, iter(records)))]
