"""The task header (section 5.1): the test client's independent encoder against pyworkers.task's reader, every
bound, and what a worker does with a header that breaks one (ProtocolError frame, exit 4)."""
import io
import socket
import struct

import pytest

from pyworkers_testing.harness import TaskSpec, encode_task, fn_payload, fn_ref, fn_source, task_with_bad_field
from pyworkers import protocol
from pyworkers import task as task_module
from pyworkers.functions import FunctionSpec
from pyworkers.protocol import EvalType, FunctionKind, ProtocolError, SerializerKind

MiB = 1 << 20


class OneByteAtATime:
    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, n: int) -> bytes:
        return self._data.read(min(n, 1))


def i32(value):
    return struct.pack(">i", value)


def decode(data: bytes, stream=io.BytesIO):
    stream = stream(data)
    index = protocol.read_int(stream)
    header = task_module.read_task_header(stream, index)
    assert stream.read(1) == b"", "the reader must consume exactly the header"
    return header


FULL_NON_UDF = TaskSpec.non_udf(
    fn_payload(b"\x80\x04payload"), fn_ref("m.n:a.b"), fn_source("f.py", "def f(i, it):\n    return it\n", "f"),
    input_serializer=2, output_serializer=3, output_batch_size=77, partition_index=5, python_version="3.11",
    stage_id=-1, partition_id=9, attempt_number=2, task_attempt_id=2 ** 40 + 3, cpus=4,
    resources={"gpu": ["0", "1"], "fpga": []}, local_properties={"user": "ünï", "": ""}, files_folder="/tmp/files",
    includes=["a.zip", "b.egg"], removed_broadcasts=[1, -2 ** 63], added_broadcasts=[(3, "/tmp/b3"), (2 ** 62, "")],
    conf={"k": "v"}, memory_limit_mb=2 ** 31 - 1,
)


@pytest.mark.parametrize("stream", [io.BytesIO, OneByteAtATime], ids=["whole", "one-byte"])
def test_nonUdfHeader_everyFieldDecodes(stream):
    h = decode(encode_task(FULL_NON_UDF), stream)
    assert (h.partition_index, h.python_version, h.stage_id, h.partition_id, h.attempt_number, h.task_attempt_id,
            h.cpus) == (5, "3.11", -1, 9, 2, 2 ** 40 + 3, 4)
    assert h.resources == {"gpu": ["0", "1"], "fpga": []} and h.local_properties == {"user": "ünï", "": ""}
    assert (h.files_folder, h.includes) == ("/tmp/files", ("a.zip", "b.egg"))
    assert h.settings == task_module.TaskSettings(memory_limit_mb=2 ** 31 - 1)
    assert h.removed_broadcasts == (1, -2 ** 63) and h.added_broadcasts == ((3, "/tmp/b3"), (2 ** 62, ""))
    assert h.eval_type is EvalType.NON_UDF and h.conf == {"k": "v"}
    assert h.handler_name == "pyworkers.evaltypes.non_udf:HANDLER"
    assert h.command.functions == (
        FunctionSpec(FunctionKind.CLOUDPICKLE, payload=b"\x80\x04payload"),
        FunctionSpec(FunctionKind.REFERENCE, reference="m.n:a.b"),
        FunctionSpec(FunctionKind.SOURCE, file_name="f.py", source="def f(i, it):\n    return it\n", name="f"),
    )
    assert h.command.input_serializer is SerializerKind.UTF8 and h.command.output_serializer is SerializerKind.RAW_BYTES
    assert h.command.output_batch_size == 77


@pytest.mark.parametrize("stream", [io.BytesIO, OneByteAtATime], ids=["whole", "one-byte"])
def test_udfHeader_offsetsAndChainsDecode(stream):
    spec = TaskSpec.udf(([0, 3, 3], [fn_ref("a:b"), fn_ref("c:d")]), ([], [fn_ref("e:f")]))
    h = decode(encode_task(spec), stream)
    assert h.eval_type is EvalType.SQL_BATCHED_UDF and h.handler_name == "pyworkers.evaltypes.batched:HANDLER"
    assert [u.offsets for u in h.command.udfs] == [(0, 3, 3), ()]
    assert [[f.reference for f in u.functions] for u in h.command.udfs] == [["a:b", "c:d"], ["e:f"]]


NON_UDF = TaskSpec.non_udf(fn_ref("a:b"), resources={"gpu": ["0"]})
UDF = TaskSpec.udf(([0], [fn_ref("a:b")]))
BAD_FIELDS = [
    (NON_UDF, "python version", i32(MiB + 1), "python version length 1048577 exceeds max 1048576 in task header"),
    (NON_UDF, "python version", i32(-3), "python version length -3 is negative in task header"),
    (NON_UDF, "python version", i32(2) + b"\xff\xfe", "python version is not valid UTF-8 in task header"),
    (NON_UDF, "resource count", i32(1001), "resource count 1001 is outside 0..1000 in task header"),
    (NON_UDF, "resource count", i32(-1), "resource count -1 is outside 0..1000 in task header"),
    (NON_UDF, "resource 0 address count", i32(10001),
     "address count of resource 'gpu' 10001 is outside 0..10000 in task header"),
    (NON_UDF, "local property count", i32(10001), "local property count 10001 is outside 0..10000 in task header"),
    (NON_UDF, "files folder", i32(MiB + 1), "files folder length 1048577 exceeds max 1048576 in task header"),
    (NON_UDF, "setting count", i32(65), "task setting count 65 is outside 0..64 in task header"),
    (NON_UDF, "setting count", i32(-1), "task setting count -1 is outside 0..64 in task header"),
    (NON_UDF, "setting count", i32(1) + i32(9) + i32(0),
     "task setting key 9 is unknown in task header: this worker knows 1 (memory limit, MiB); use the same pyworkers "
     "release on the JVM and in the worker's bundle"),
    (NON_UDF, "setting count", i32(2) + i32(1) + i32(5) + i32(1) + i32(6),
     "task setting key 1 appears twice in task header: each key is sent at most once"),
    (NON_UDF, "setting count", i32(1) + i32(1) + i32(0),
     "memory limit (task setting 1) 0 MiB must be > 0 in task header: the JVM leaves the setting out for no limit"),
    (NON_UDF, "include count", i32(10001), "include count 10001 is outside 0..10000 in task header"),
    (NON_UDF, "removed broadcast count", i32(100001),
     "removed broadcast count 100001 is outside 0..100000 in task header"),
    (NON_UDF, "added broadcast count", i32(100001), "added broadcast count 100001 is outside 0..100000 in task header"),
    (NON_UDF, "eval type", i32(7) + i32(0),
     "eval type 7 is unknown in task header: expected 0 (NON_UDF) or 100 (SQL_BATCHED_UDF), or a handler name"),
    (NON_UDF, "conf count", i32(10001), "conf count 10001 is outside 0..10000 in task header"),
    (NON_UDF, "chain count", i32(0), "chained function count of the NON_UDF chain 0 is outside 1..100 in task header"),
    (NON_UDF, "chain count", i32(101),
     "chained function count of the NON_UDF chain 101 is outside 1..100 in task header"),
    (NON_UDF, "fn 0", b"\x09", "function kind 9 of function 1 of 1 of the NON_UDF chain is unknown in task header: "
                               "expected 1 (cloudpickle), 2 (reference) or 3 (source)"),
    (NON_UDF, "fn 0", b"\x01" + i32(256 * MiB + 1),
     "cloudpickle payload of function 1 of 1 of the NON_UDF chain length 268435457 exceeds max 268435456 in task "
     "header"),
    (NON_UDF, "fn 0", b"\x02" + i32(MiB + 1),
     "function reference of function 1 of 1 of the NON_UDF chain length 1048577 exceeds max 1048576 in task header"),
    (NON_UDF, "fn 0", b"\x03" + i32(1) + b"f" + i32(64 * MiB + 1),
     "source text of function 1 of 1 of the NON_UDF chain length 67108865 exceeds max 67108864 in task header"),
    (NON_UDF, "input serializer", b"\x04",
     "input serializer 4 is unknown in task header: expected 1 (pickled batches), 2 (UTF-8) or 3 (raw bytes)"),
    (NON_UDF, "output serializer", b"\x00", "output serializer 0 is unknown in task header"),
    (NON_UDF, "output batch size", i32(0), "output batch size 0 is outside 1..1000000 in task header"),
    (NON_UDF, "output batch size", i32(1000001), "output batch size 1000001 is outside 1..1000000 in task header"),
    (UDF, "udf count", i32(0), "UDF count 0 is outside 1..1000 in task header"),
    (UDF, "udf count", i32(1001), "UDF count 1001 is outside 1..1000 in task header"),
    (UDF, "udf 0 arg count", i32(1001), "argument count of UDF 1 1001 is outside 0..1000 in task header"),
    (UDF, "udf 0 offset 0", i32(-1), "argument offset -1 of UDF 1 must be >= 0 in task header"),
    (UDF, "udf 0 chain count", i32(101), "chained function count of UDF 1 101 is outside 1..100 in task header"),
]


@pytest.mark.parametrize("spec, field, data, message", BAD_FIELDS, ids=[b[1] + ":" + b[3][:30] for b in BAD_FIELDS])
def test_badField_isAProtocolErrorNamingFieldAndValue(spec, field, data, message):
    with pytest.raises(ProtocolError) as info:
        decode(task_with_bad_field(spec, field, data))
    assert str(info.value).startswith(message)


def test_headerBreakingABound_workerSendsProtocolErrorFrame_andExits4(workers):
    worker = workers.open()
    worker.ping()
    result = worker.run_task(task_with_bad_field(NON_UDF, "resource count", i32(5000)), [])
    assert result.exception == (
        "ProtocolError",
        "protocol error in the header of task partition 0: resource count 5000 is outside 0..1000 in task header",
        "",
    )
    assert result.timing is None and result.eof
    assert workers.exit_code(worker) == 4
    workers.wait_for_line(worker, r"\[worker\] ERROR protocol error in the header of task partition 0: resource "
                                  r"count 5000 is outside 0\.\.1000 in task header \(")


def test_connectionEndingInsideTheHeader_exits4AndSaysWhere(workers):
    worker = workers.open()
    worker.sock.sendall(encode_task(NON_UDF)[:30])
    worker.sock.shutdown(socket.SHUT_WR)
    assert worker.read_eof() == b""
    assert workers.exit_code(worker) == 4
    workers.wait_for_line(worker, r"\[worker\] ERROR protocol error: the connection ended inside the header of task "
                                  r"partition 0: end of stream while reading")



def test_rowLayout_mustBeKnown_andBareRowsOnlyWithOffsetZero():
    identity = fn_ref("pwfake_task_functions:identity")
    with pytest.raises(ProtocolError) as info:
        decode(encode_task(TaskSpec.udf(([0], [identity]), row_layout=3)))
    assert str(info.value).startswith("row layout 3 is unknown in task header: expected 1 (tuples) or 2 (bare values)")
    with pytest.raises(ProtocolError) as info:
        decode(encode_task(TaskSpec.udf(([0], [identity]), ([1], [identity]), row_layout=2)))
    assert str(info.value).startswith("UDF 2 has argument offsets [1], but with row layout 2 (bare values) every "
                                      "offset must be 0")
    assert decode(encode_task(TaskSpec.udf(([0, 0], [identity]), ([], [identity]), row_layout=2))).command.bare_rows


def test_resultLayout_mustBeKnown_and64BitIntsOnlyWithOneUdf():
    identity = fn_ref("pwfake_task_functions:identity")
    with pytest.raises(ProtocolError) as info:
        decode(encode_task(TaskSpec.udf(([0], [identity]), result_layout=0)))
    assert str(info.value).startswith("result layout 0 is unknown in task header: expected 1 (pickled) or 2 (64-bit "
                                      "ints)")
    with pytest.raises(ProtocolError) as info:
        decode(encode_task(TaskSpec.udf(([0], [identity]), ([0], [identity]), result_layout=2)))
    assert str(info.value) == "result layout 2 (64-bit ints) needs exactly one UDF, but task header has 2"
    assert decode(encode_task(TaskSpec.udf(([0], [identity]), result_layout=2))).command.int64_results
    assert not decode(encode_task(TaskSpec.udf(([0], [identity])))).command.int64_results
