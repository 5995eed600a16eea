"""A task's functions: loading the three kinds of ``docs/protocol.md`` section 5, composing chains, and the batch
mappers of SQL_BATCHED_UDF.

Kinds: ``1`` a cloudpickle payload (``cloudpickle`` is imported only when one arrives, since ``pickle.loads`` needs
it to rebuild the function), ``2`` a ``"module:function"`` reference (a dotted attribute path may follow the colon),
``3`` source text compiled under a file name (registered with ``linecache``, so tracebacks show its lines). Every
failure raises :class:`FunctionLoadError` saying which function of the task it was, what went wrong and what to do.

The batch mapper turns a list of rows into a list of results with ``map``/``itemgetter``/``starmap`` chains, so the
per-row work runs in C except for the user's own functions. Those C loops would end quietly if a user function
raised ``StopIteration``; the mapper notices the short result, calls the chain once more on the row where it stopped
(one function at a time, to find the one that raises) and raises RuntimeError naming it instead. That second call is
the price of having no per-row Python wrapper; it only happens on a batch that is already failing.

Standard library only. Stateless; loaded functions belong to the task that loaded them.
"""
import builtins
import importlib
import linecache
import pickle
import sys
from dataclasses import dataclass
from itertools import repeat, starmap
from operator import itemgetter
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from .protocol import FunctionKind

__all__ = [
    "FunctionLoadError",
    "FunctionSpec",
    "Udf",
    "load_function",
    "compose_non_udf",
    "batch_mapper",
    "stop_iteration_error",
    "chain_label",
]

_SOURCE_MODULE_NAME = "__pyworkers_source__"
_MAX_NAMES_SHOWN = 30
_MAX_REPR = 200


class FunctionLoadError(Exception):
    """A task's function could not be loaded; the message names the function, the cause and a fix."""


@dataclass(frozen=True)
class FunctionSpec:
    """One ``fn`` of a task header: only the fields of its kind are set."""

    kind: FunctionKind
    payload: bytes = b""
    reference: str = ""
    file_name: str = ""
    source: str = ""
    name: str = ""

    def describe(self) -> str:
        if self.kind is FunctionKind.CLOUDPICKLE:
            return "cloudpickle payload of %d bytes" % len(self.payload)
        if self.kind is FunctionKind.REFERENCE:
            return "reference %r" % self.reference
        return "function %r of source %r" % (self.name, self.file_name)


@dataclass(frozen=True)
class Udf:
    """One SQL_BATCHED_UDF: the row offsets of its arguments and its chain, innermost first."""

    offsets: Tuple[int, ...]
    functions: Tuple[Callable[..., Any], ...]
    label: str


def load_function(spec: FunctionSpec, where: str) -> Callable[..., Any]:
    """Load one function; ``where`` places it in the task for messages, e.g. ``function 2 of 3 of UDF 1``."""
    where = "%s (%s)" % (where, spec.describe())
    if spec.kind is FunctionKind.CLOUDPICKLE:
        value = _load_cloudpickle(spec.payload, where)
        what = "the unpickled object"
    elif spec.kind is FunctionKind.REFERENCE:
        value = _load_reference(spec.reference, where)
        what = repr(spec.reference)
    else:
        value = _load_source(spec.file_name, spec.source, spec.name, where)
        what = "%r in %r" % (spec.name, spec.file_name)
    if not callable(value):
        raise FunctionLoadError("%s: %s is not callable: it is %s" % (where, what, _describe_value(value)))
    return value


def _describe_value(value: Any) -> str:
    text = repr(value)
    if len(text) > _MAX_REPR:
        text = text[:_MAX_REPR] + "..."
    kind = "a module" if type(value).__name__ == "module" else "of type %s" % _type_name(type(value))
    return "%s: %s" % (kind, text)


def _type_name(cls: type) -> str:
    module = getattr(cls, "__module__", "builtins")
    return cls.__qualname__ if module == "builtins" else "%s.%s" % (module, cls.__qualname__)


def _load_cloudpickle(payload: bytes, where: str) -> Any:
    try:
        import cloudpickle
    except ImportError as e:
        raise FunctionLoadError(
            "%s: a cloudpickle function needs the package 'cloudpickle', which the worker's Python (%s) cannot "
            "import (%s); install it there with `pip install cloudpickle`" % (where, sys.executable, e)
        ) from e
    try:
        return pickle.loads(payload)
    except Exception as e:
        raise FunctionLoadError(
            "%s: cannot unpickle the cloudpickle payload: %s: %s; it must be what cloudpickle.dumps(f) gives, made "
            "with a compatible cloudpickle and the same Python version (this worker: Python %d.%d, cloudpickle %s), "
            "and every module the function refers to must be importable in the worker"
            % (where, _type_name(type(e)), e, sys.version_info[0], sys.version_info[1],
               getattr(cloudpickle, "__version__", "unknown"))
        ) from e


def _load_reference(reference: str, where: str) -> Any:
    module_name, colon, path = reference.partition(":")
    if not colon or not module_name or not path:
        raise FunctionLoadError(
            "%s: %r is not a function reference: it must look like 'module:function' (a dotted attribute path may "
            "follow the colon, e.g. 'pkg.mod:Class.method')" % (where, reference)
        )
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name is not None and (module_name == e.name or module_name.startswith(e.name + ".")):
            raise FunctionLoadError(
                "%s: module %r of reference %r is not found (%s); install it in the worker's Python (%s) or ship "
                "it with the task's files or includes" % (where, e.name, reference, e, sys.executable)
            ) from e
        raise FunctionLoadError(
            "%s: importing module %r of reference %r failed because a module it imports is missing: %s"
            % (where, module_name, reference, e)
        ) from e
    except Exception as e:
        raise FunctionLoadError(
            "%s: importing module %r of reference %r raised %s: %s"
            % (where, module_name, reference, _type_name(type(e)), e)
        ) from e
    return _resolve(module, "module %r" % module_name, path, where)


def _load_source(file_name: str, source: str, name: str, where: str) -> Any:
    file_name = file_name or "<pyworkers source>"
    try:
        code = compile(source, file_name, "exec", dont_inherit=True)
    except SyntaxError as e:
        line = (e.text or "").strip()
        raise FunctionLoadError(
            "%s: syntax error in %s line %s: %s%s"
            % (where, e.filename or file_name, e.lineno, e.msg, " (%r)" % line if line else "")
        ) from e
    except ValueError as e:  # e.g. null bytes in the text
        raise FunctionLoadError("%s: cannot compile %s: %s" % (where, file_name, e)) from e
    linecache.cache[file_name] = (len(source), None, source.splitlines(True), file_name)
    namespace: Dict[str, Any] = {"__name__": _SOURCE_MODULE_NAME, "__file__": file_name, "__builtins__": builtins}
    try:
        exec(code, namespace)
    except Exception as e:
        raise FunctionLoadError(
            "%s: running the source %s raised %s: %s" % (where, file_name, _type_name(type(e)), e)
        ) from e
    if not name:
        raise FunctionLoadError("%s: the function name is empty; name a function that %s defines" % (where, file_name))
    head, _, rest = name.partition(".")
    if head not in namespace:
        raise FunctionLoadError(
            "%s: the source %s defines no name %r; it defines: %s" % (where, file_name, head, _names(namespace))
        )
    value = namespace[head]
    return _resolve(value, repr(head), rest, where) if rest else value


def _resolve(root: Any, root_label: str, path: str, where: str) -> Any:
    value = root
    parts = path.split(".")
    for i, part in enumerate(parts):
        try:
            value = getattr(value, part)
        except AttributeError as e:
            owner = root_label if i == 0 else "%r of %s" % (".".join(parts[:i]), root_label)
            raise FunctionLoadError(
                "%s: %s has no attribute %r; it has: %s" % (where, owner, part, _names(dir(value)))
            ) from e
    return value


def _names(names: Iterable[str]) -> str:
    public = sorted(n for n in names if not n.startswith("_"))
    if not public:
        return "no public names"
    shown = ", ".join(public[:_MAX_NAMES_SHOWN])
    return shown + (", ... (%d in all)" % len(public) if len(public) > _MAX_NAMES_SHOWN else "")


# ---------------------------------------------------------------------------------------------------------------------
# Composition


def compose_non_udf(functions: Sequence[Callable[..., Any]]) -> Callable[[int, Any], Any]:
    """NON_UDF chain, innermost first: ``[g, f]`` gives ``f(index, g(index, iterator))``."""
    if len(functions) == 1:
        return functions[0]

    def chained(index: int, iterator: Any) -> Any:
        for function in functions:
            iterator = function(index, iterator)
        return iterator

    return chained


def stop_iteration_error(error: StopIteration, where: str) -> RuntimeError:
    """The error that replaces a StopIteration a user function raised (it must not end an iteration quietly)."""
    return RuntimeError(
        "%s raised StopIteration%s; a function must not let StopIteration escape, because it would silently end "
        "the iteration that called it; raise another exception or return normally"
        % (where, ": %s" % error if str(error) else "")
    )


def _function_name(function: Callable[..., Any]) -> str:
    name = getattr(function, "__qualname__", None) or getattr(function, "__name__", None)
    return name if isinstance(name, str) else repr(function)


def chain_label(index: int, functions: Sequence[Callable[..., Any]]) -> str:
    """``UDF 2 (f(g(...)))``: how messages name a UDF and its chain."""
    text = "..."
    for function in functions:
        text = "%s(%s)" % (_function_name(function), text)
    return "UDF %d (%s)" % (index, text)


def _diagnose_stop(udf: Udf, row: Sequence[Any], where: str) -> None:
    """Call the chain on ``row`` one function at a time; a StopIteration is raised again as RuntimeError naming
    the function that raised it."""
    args: Tuple[Any, ...] = tuple(row[o] for o in udf.offsets)
    for position, function in enumerate(udf.functions):
        try:
            value = function(*args)
        except StopIteration as e:
            raise stop_iteration_error(e, "%s (function %d of %d of %s) %s" % (
                _function_name(function), position + 1, len(udf.functions), udf.label, where)) from e
        args = (value,)


def _column(udf: Udf, bare: bool = False) -> Callable[[List[Any]], Iterable[Any]]:
    """A function of the rows that yields this UDF's results through C-level iterators.

    With ``bare`` the batch holds the values of the one column every offset names (row layout 2), not tuples.
    """
    first, rest = udf.functions[0], udf.functions[1:]
    offsets = udf.offsets
    if bare and len(offsets) == 1 and not rest:
        return _bare_single(udf)
    if bare and len(offsets) == 1:
        def apply(rows: List[Any]) -> Iterable[Any]:
            return map(first, rows)
    elif bare and offsets:
        width = len(offsets)

        def apply(rows: List[Any]) -> Iterable[Any]:
            return starmap(first, ((value,) * width for value in rows))
    elif not offsets:
        def apply(rows: List[Any]) -> Iterable[Any]:
            return starmap(first, repeat((), len(rows)))
    elif len(offsets) == 1:
        getter = itemgetter(offsets[0])

        def apply(rows: List[Any]) -> Iterable[Any]:
            return map(first, map(getter, rows))
    else:
        getter_of_many = itemgetter(*offsets)

        def apply(rows: List[Any]) -> Iterable[Any]:
            return starmap(first, map(getter_of_many, rows))
    if not rest:
        return apply

    def chained(rows: List[Any]) -> Iterable[Any]:
        values = apply(rows)
        for function in rest:
            values = map(function, values)
        return values

    return chained


def _bare_single(udf: Udf) -> Callable[[List[Any]], List[Any]]:
    """One function over bare values (row layout 2), the commonest UDF: a list comprehension, whose calls the
    interpreter makes without a C-level frame per call, so it is a little cheaper per row than ``map``.

    A StopIteration from the function ends a comprehension with that exception (it does not end it quietly as in
    ``map``); the row is found from the position of the batch's iterator, so the function is not called again.
    """
    function = udf.functions[0]
    where = "%s (function 1 of 1 of %s)" % (_function_name(function), udf.label)

    def apply(values: Sequence[Any]) -> List[Any]:
        iterator = iter(values)
        try:
            return [function(value) for value in iterator]
        except StopIteration as e:
            raise stop_iteration_error(e, "%s on %s of its batch" % (where, _row_before(iterator))) from e

    return apply


def _row_before(iterator: Iterator[Any]) -> str:
    """"row N", N being the index of the item ``iterator`` (of a list, tuple or array) gave last."""
    try:
        state = iterator.__reduce__()
        return "row %d" % (state[2] - 1)
    except (AttributeError, IndexError, TypeError):
        return "a row"


def _listed(values: Iterable[Any]) -> List[Any]:
    """``values`` as a list, not copied when it is one already (a list comprehension's result)."""
    return values if values.__class__ is list else list(values)  # type: ignore[return-value]


def _check_complete(udf: Udf, results: List[Any], rows: List[Any]) -> None:
    """A short result means a user function raised StopIteration inside ``map``: find it and say so."""
    if len(results) == len(rows):
        return
    index = len(results)
    _diagnose_stop(udf, rows[index], "on row %d of its batch" % index)
    raise RuntimeError(
        "%s stopped after %d of %d rows: a function of the UDF raised StopIteration, which ended the loop that called "
        "it (calling it again on that row did not raise it, so it does not fail the same way every time); a function "
        "must not let StopIteration escape" % (udf.label, index, len(rows))
    )


def _explain_index_error(udfs: Sequence[Udf], rows: List[Any]) -> Optional[str]:
    """When a row is too short for an offset, say which; None when the rows fit (the user's code failed)."""
    for udf in udfs:
        if not udf.offsets:
            continue
        top = max(udf.offsets)
        for i, row in enumerate(rows):
            try:
                size = len(row)
            except TypeError:
                return "row %d of the batch is %s, not a tuple or list" % (i, _type_name(type(row)))
            if size <= top:
                return "%s reads the value at offset %d, but row %d of the batch has only %d value(s)" % (
                    udf.label, top, i, size)
    return None


def batch_mapper(udfs: Sequence[Udf], bare: bool = False) -> Callable[[List[Any]], List[Any]]:
    """rows -> results: the bare value per row with one UDF, a tuple per row with several.

    With ``bare`` the rows are the values of a single column (row layout 2) and every offset is 0.
    """
    columns = [_column(udf, bare) for udf in udfs]

    def guarded(compute: Callable[[List[Any]], List[Any]]) -> Callable[[List[Any]], List[Any]]:
        def run(rows: List[Any]) -> List[Any]:
            try:
                return compute(rows)
            except (IndexError, TypeError) as e:
                explanation = None if bare else _explain_index_error(udfs, rows)
                if explanation is None:
                    raise
                raise IndexError(explanation) from e
        return run

    if len(udfs) == 1:
        udf, column = udfs[0], columns[0]

        def one(rows: List[Any]) -> List[Any]:
            results = _listed(column(rows))
            if len(results) != len(rows):
                _check_complete(udf, results, [(v,) for v in rows] if bare else rows)
            return results

        return guarded(one)

    def several(rows: List[Any]) -> List[Any]:
        results = []
        for udf, column in zip(udfs, columns):
            values = _listed(column(rows))
            if len(values) != len(rows):
                _check_complete(udf, values, [(v,) for v in rows] if bare else rows)
            results.append(values)
        return list(zip(*results))

    return guarded(several)
