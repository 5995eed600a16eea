"""pyworkers.jobs, the Python side of ``pyworkers run``, on its own: strict JSON both ways (no NaN or Infinity unless
allow_nan), the record size limit on results, and what FUNC may raise. The job runs in this process, called the way
a worker calls it (frames of an 8-byte first line number and whole lines); the end-to-end runs through real workers
are the JUnit tests of pyworkers-cli (RunJsonStrictTest, RunRecordSizeTest, RunUdfBaseExceptionTest)."""
import signal
import struct

import pytest

from pyworkers import jobs

UDF = '''
import os, signal
def f(r):
    kind = r.get("kind") if isinstance(r, dict) else r
    if kind == "nan":
        return {"a": [1, {"b": float("nan")}]}
    if kind == "inf":
        return float("inf")
    if kind == "big":
        return "x" * 100
    if kind == "circular":
        loop = [1]
        loop.append(loop)
        return loop
    if kind == "KeyboardInterrupt":
        raise KeyboardInterrupt("raised by f")
    if kind == "SystemExit":
        raise SystemExit(3)
    if kind == "GeneratorExit":
        raise GeneratorExit("raised by f")
    if kind == "sigint":
        os.kill(os.getpid(), signal.SIGINT)
        signal.pause()
    return r
'''


@pytest.fixture
def udf(tmp_path):
    path = tmp_path / "udf.py"
    path.write_text(UDF)
    return str(path)


@pytest.fixture
def own_sigint():
    """The job installs its SIGINT handler in the main thread; put the test runner's back afterwards."""
    before = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def run(udf, fmt, text, first_line=1, header=None, **options):
    job = jobs.make_job(udf, "f", fmt, **options)
    frames = [struct.pack(">q", first_line) + text.encode("utf-8")]
    if header is not None:
        frames.insert(0, struct.pack(">q", 1) + header.encode("utf-8"))
    out = []
    for frame in job(0, iter(frames)):
        count = struct.unpack_from(">i", frame)[0]
        out.extend(frame[4:].decode("utf-8").splitlines())
        assert len(out) >= count
    return out


@pytest.mark.parametrize("line, literal", [
    ('{"a": NaN}', "NaN"), ('[1, [Infinity]]', "Infinity"), ('{"x": {"y": -Infinity}}', "-Infinity"), ("NaN", "NaN"),
])
def test_nanOrInfinityLiteral_isAMalformedLine_namingTheLiteral_unlessAllowed(udf, own_sigint, line, literal):
    with pytest.raises(jobs.MalformedRecordError) as e:
        run(udf, "jsonl", '{"k": 1}\n\n' + line + "\n", first_line=10)
    assert str(e.value) == ("input line 12 is not valid JSON (%s is not JSON: RFC 8259 has no NaN or Infinity; fix "
                            "the input, or pass --allow-nan to accept them as non-standard JSON): %r" % (literal, line))
    assert run(udf, "jsonl", line + "\n", allow_nan=True) == [line]


@pytest.mark.parametrize("fmt, text, header, line, excerpt", [
    ("jsonl", '{"kind": 1}\n\n{"kind": "nan"}\n', None, 7, '{"kind": "nan"}'),
    ("text", "a\r\nnan\r\n", None, 6, "nan"),
    ("csv", 'other,"x\ny"\nnan,z\n', "kind,v\n", 7, "nan,z"),
])
def test_nanResult_isAUdfError_namingTheLineAndThePath_unlessAllowed(udf, own_sigint, fmt, text, header, line,
                                                                      excerpt):
    with pytest.raises(jobs.UdfRecordError) as e:
        run(udf, fmt, text, first_line=5, header=header)
    assert str(e.value) == (
        "the result of f for input line %d is not JSON: it holds the float nan at result['a'][1]['b']; JSON (RFC "
        "8259) has no NaN or Infinity: return None for a missing number, or pass --allow-nan to write NaN and "
        "Infinity as non-standard JSON. The line: %r" % (line, excerpt))
    out = run(udf, fmt, text, first_line=5, header=header, allow_nan=True)
    assert out[-1] == '{"a": [1, {"b": NaN}]}'


def test_theWordsNanAndInfinityInStrings_areJustStrings(udf, own_sigint):
    assert run(udf, "jsonl", '{"s": "NaN"}\n["Infinity"]\n') == ['{"s": "NaN"}', '["Infinity"]']


def test_circularResult_isTheEncodersOwnError_andTheSearchForNanEnds(udf, own_sigint):
    with pytest.raises(jobs.UdfRecordError, match=r"input line 1 cannot be written as JSON: ValueError: Circular "
                                                  r"reference detected"):
        run(udf, "text", "circular\n")


def test_infiniteResult_asTheWholeResult(udf, own_sigint):
    with pytest.raises(jobs.UdfRecordError, match=r"input line 1 is not JSON: it holds the float inf as the result;"):
        run(udf, "text", "inf\n")
    assert run(udf, "text", "inf\n", allow_nan=True) == ["Infinity"]


@pytest.mark.parametrize("fmt, text, header, line, records", [
    ("jsonl", '"a"\n\n   \n"big"\n"c"\n', None, 4, 3),
    ("text", "a\nb\nbig\n", None, 3, 3),
    ("csv", '"x\ny",1\n\nbig,2\n', "kind,n\n", 5, 2),
])
def test_resultOverTheRecordLimit_isAUdfError_namingItsLine(udf, own_sigint, fmt, text, header, line, records):
    first = 2 if header else 1
    with pytest.raises(jobs.UdfRecordError) as e:
        run(udf, fmt, text, first_line=first, header=header, max_record_bytes=64)
    assert str(e.value).startswith("the result of f for input line %d is 102 bytes of JSON, over the record size "
                                   "limit of 64 bytes; return less per record, or raise --max-record-size." % line)
    assert len(run(udf, fmt, text, first_line=first, header=header, max_record_bytes=102)) == records


def test_csvFieldOverTheCsvModulesDefaultLimit_isReadUpToTheRecordLimit(udf, own_sigint):
    field = "y" * (1 << 20)
    assert run(udf, "csv", "%s,1\n" % field, header="kind,n\n", max_record_bytes=2 << 20) == [
        '{"kind": "%s", "n": "1"}' % field]


@pytest.mark.parametrize("kind, shown", [
    ("KeyboardInterrupt", "KeyboardInterrupt on input line 2: raised by f"),
    ("SystemExit", "SystemExit on input line 2: 3"),
    ("GeneratorExit", "GeneratorExit on input line 2: raised by f"),
])
@pytest.mark.parametrize("fmt", ["jsonl", "text", "csv"])
def test_baseExceptionRaisedByFunc_isAUdfErrorWithTheLineAndTraceback(udf, own_sigint, fmt, kind, shown):
    text = {"jsonl": '"a"\n"%s"\n', "text": "a\n%s\n", "csv": "a\n%s\n"}[fmt] % kind
    with pytest.raises(jobs.UdfRecordError) as e:
        run(udf, fmt, text, header="kind\n" if fmt == "csv" else None, first_line=2 if fmt == "csv" else 1)
    message = str(e.value)
    assert message.startswith("f raised " + shown.replace("line 2", "line %d" % (3 if fmt == "csv" else 2)))
    assert "Traceback (most recent call last):" in message and "udf.py" in message and "jobs.py" not in message


def test_sigintReceivedWhileFuncRuns_isRaisedAsKeyboardInterrupt(udf, own_sigint):
    with pytest.raises(KeyboardInterrupt) as e:
        run(udf, "text", "a\nsigint\nb\n")
    assert not isinstance(e.value, jobs.JobError)
    assert signal.getsignal(signal.SIGINT) is jobs._on_sigint
    # the next task starts clean: FUNC's own KeyboardInterrupt is FUNC's error again
    with pytest.raises(jobs.UdfRecordError, match="f raised KeyboardInterrupt on input line 1"):
        run(udf, "text", "KeyboardInterrupt\n")
