"""Eval types on the worker side (``docs/protocol.md`` section 5, ``docs/spi.md``): the table from eval type number to
handler, the lazy import of a handler, and what a handler author needs.

A task header ends with the eval type's block: its number, a handler name (``"module:attribute"``) and the command
bytes. The number picks the handler from :data:`BUILT_IN` (a different name for a built-in number is a protocol
error); any other number needs the name, which the JVM's codec sends. The handler module is imported on the first
task of that eval type, never at the worker's start: a handler that cannot be imported (its dependency is missing)
fails that task with :class:`HandlerUnavailable`, naming the eval type, the missing module and how to install it,
and the worker stays in its session.

A handler is an object with:

* ``name``: the eval type's name, for messages (``"NON_UDF"``);
* ``accepts_null_input``: whether ``-5`` (NULL) may stand in the task's data (the drain after a failure obeys it);
* ``read_command(inp)``: reads its command from ``inp`` (a readable of exactly the command bytes) with the readers
  below, raising :class:`~pyworkers.protocol.ProtocolError` for a bad field; returns the parsed command;
* ``load(command, task)``: loads the functions (what it raises fails the task, the worker stays) and returns the
  body, a callable that streams the task's data: it reads frames with ``task.inp.read_frame()`` up to
  :data:`END_OF_DATA` and writes output with :func:`write_frame` (``task.write``); it loads functions with
  :func:`load_function` (``pyworkers.functions``).

A handler module that needs a package of its own imports it at its top, inside ``try``, and raises
:class:`MissingDependency` with the install hint when it is missing. Standard library only here.
"""
import importlib
import sys
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, BinaryIO, Callable, Dict, Mapping, Optional, Tuple

from .. import protocol
from ..functions import FunctionSpec, load_function
from ..protocol import (
    END_OF_DATA, MAX_CLOUDPICKLE_PAYLOAD, MAX_HEADER_STR, MAX_SOURCE_STR, FunctionKind, ProtocolError, SocketInput,
)
from ..serializers import write_frame

__all__ = [
    "BUILT_IN", "INSTALL_HINTS", "END_OF_DATA", "HandlerUnavailable", "MissingDependency", "TaskIO", "resolve",
    "handler_name", "read_str", "read_count", "read_int", "read_u8", "read_function", "read_chain", "write_frame",
    "load_function", "ProtocolError",
]

HEADER = "task header"

#: Eval type number -> its built-in handler.
BUILT_IN: Dict[int, str] = {
    0: "pyworkers.evaltypes.non_udf:HANDLER",
    100: "pyworkers.evaltypes.batched:HANDLER",
}

#: Top-level module -> how to install it, for the message of a handler whose dependency is missing.
INSTALL_HINTS: Dict[str, str] = {
    "pyarrow": "pip install pyarrow",
    "pandas": "pip install pandas",
    "numpy": "pip install numpy",
    "cloudpickle": "pip install cloudpickle",
    "py4j": "pip install py4j",
}


class MissingDependency(ImportError):
    """Raised by a handler module that cannot work without ``module``; ``hint`` says how to install it."""

    def __init__(self, module: str, hint: str) -> None:
        super().__init__("No module named %r" % module, name=module)
        self.hint = hint


class HandlerUnavailable(Exception):
    """The task's eval type handler cannot be imported; the task fails with this, the worker goes on."""


@dataclass(frozen=True)
class TaskIO:
    """What a handler's body streams through: the task's partition index, the input (``read_frame``; set
    ``failure`` to a ProtocolError for data that breaks the eval type's rules), the output's ``write``, and the
    runner's conf (the header's ``conf`` pairs, docs/protocol.md 5.1; read-only, empty when the runner sets none)."""

    partition_index: int
    inp: SocketInput
    out: BinaryIO
    conf: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def write(self) -> Callable[[bytes], Any]:
        return self.out.write


_loaded: Dict[str, Any] = {}


def handler_name(eval_type: int, named: str) -> str:
    """The handler for ``eval_type``: the built-in one (``named`` must be empty or the same), else ``named``."""
    built_in = BUILT_IN.get(eval_type)
    if built_in is not None:
        if named and named != built_in:
            raise ProtocolError("eval type %d is built in with handler %r, but the %s names handler %r" % (
                eval_type, built_in, HEADER, named))
        return built_in
    if not named:
        raise ProtocolError("eval type %d is unknown in %s: expected 0 (NON_UDF) or 100 (SQL_BATCHED_UDF), or a "
                            "handler name for another eval type" % (eval_type, HEADER))
    if named.count(":") != 1 or not all(named.split(":")):
        raise ProtocolError("handler %r of eval type %d in %s is not 'module:attribute'" % (named, eval_type, HEADER))
    return named


def resolve(eval_type: int, name: str) -> Any:
    """The handler object called ``name`` (``module:attribute``), imported on first use and kept; raises
    :class:`HandlerUnavailable` naming the eval type, what is missing and how to install it."""
    handler = _loaded.get(name)
    if handler is not None:
        return handler
    module_name, _, attribute = name.partition(":")
    where = "eval type %d (handler %r)" % (eval_type, name)
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise HandlerUnavailable(_import_message(where, module_name, e)) from e
    except Exception as e:  # a handler module that fails to import fails its tasks, never the worker
        raise HandlerUnavailable("%s cannot be loaded: importing %s raised %s: %s" % (
            where, module_name, type(e).__name__, e)) from e
    handler: Any = module
    try:
        for part in attribute.split("."):
            handler = getattr(handler, part)
    except AttributeError:
        raise HandlerUnavailable("%s cannot be loaded: module %s has no attribute %r" % (
            where, module_name, attribute)) from None
    _loaded[name] = handler
    return handler


def _import_message(where: str, module_name: str, error: ImportError) -> str:
    missing = error.name or ""
    if missing and (module_name == missing or module_name.startswith(missing + ".")):
        return ("%s cannot be loaded: its module %s is not on the worker's path (%s); put the jar that bundles it on "
                "the class path, or add it with an include" % (where, module_name, error))
    hint = getattr(error, "hint", "") or INSTALL_HINTS.get(missing.split(".")[0], "")
    if not hint:
        hint = "install the package that provides module %r" % (missing or "?")
    return ("%s cannot be loaded: it needs module %r, which the worker's Python (%s) does not have (%s); %s" % (
        where, missing or "?", sys.executable, error, hint))


# ---------------------------------------------------------------------------------------------------------------------
# Readers for commands (errors name the field and say "in task header", as for the rest of the header)


def read_str(inp: protocol.Readable, what: str, max_length: int = MAX_HEADER_STR) -> str:
    return protocol.read_str(inp, max_length, HEADER, what)


def read_count(inp: protocol.Readable, high: int, what: str, low: int = 0) -> int:
    return protocol.read_count(inp, low, high, what, HEADER)


def read_int(inp: protocol.Readable, what: str) -> int:
    return protocol.read_int(inp, "%s in %s" % (what, HEADER))


def read_u8(inp: protocol.Readable, what: str) -> int:
    return protocol.read_u8(inp, "%s in %s" % (what, HEADER))


def read_function(inp: protocol.Readable, where: str) -> FunctionSpec:
    """One ``fn``: cloudpickle payload, ``module:function`` reference, or source."""
    kind = protocol.read_u8(inp, "function kind of %s in %s" % (where, HEADER))
    if kind == FunctionKind.CLOUDPICKLE:
        payload = protocol.read_bytes(inp, MAX_CLOUDPICKLE_PAYLOAD, HEADER, "cloudpickle payload of %s" % where)
        return FunctionSpec(FunctionKind.CLOUDPICKLE, payload=payload)
    if kind == FunctionKind.REFERENCE:
        return FunctionSpec(FunctionKind.REFERENCE, reference=read_str(inp, "function reference of %s" % where))
    if kind == FunctionKind.SOURCE:
        file_name = read_str(inp, "source file name of %s" % where)
        source = read_str(inp, "source text of %s" % where, MAX_SOURCE_STR)
        name = read_str(inp, "source function name of %s" % where)
        return FunctionSpec(FunctionKind.SOURCE, file_name=file_name, source=source, name=name)
    raise ProtocolError(
        "function kind %d of %s is unknown in %s: expected 1 (cloudpickle), 2 (reference) or 3 (source)"
        % (kind, where, HEADER)
    )


def read_chain(inp: protocol.Readable, owner: str) -> Tuple[FunctionSpec, ...]:
    """``int`` n (1..100), then n functions, innermost first."""
    count = read_count(inp, 100, "chained function count of %s" % owner, low=1)
    return tuple(read_function(inp, "function %d of %d of %s" % (i + 1, count, owner)) for i in range(count))


