"""The driver's handle on a gateway JVM: Py4J reflection, Java exceptions as Python ones, and jobs on its workers."""
import hmac
import os
import socket
import subprocess
import sys
import threading
import weakref
from typing import Any, Callable, Iterable, Iterator, List, Optional, Sequence

import py4j.clientserver
import py4j.java_collections
import py4j.java_gateway
import py4j.protocol
from py4j.clientserver import ClientServer, ClientServerConnection, JavaClient, JavaParameters, PythonParameters
from py4j.protocol import Py4JAuthenticationError, Py4JJavaError, Py4JNetworkError

from . import _convert, _launch, _linereader
from .errors import DriverError, JavaError, _died_or

__all__ = ["Gateway", "connect"]

# JavaClient -> Gateway, for the error conversion below; weak so that a forgotten gateway can be collected.
_GATEWAYS: "weakref.WeakKeyDictionary[Any, Gateway]" = weakref.WeakKeyDictionary()
_ORIGINAL_GET_RETURN_VALUE = py4j.protocol.get_return_value


def _get_return_value(answer, gateway_client, target_id=None, name=None):
    """Py4J's answer decoding, raising :class:`JavaError` instead of ``Py4JJavaError`` for our gateways only."""
    try:
        return _ORIGINAL_GET_RETURN_VALUE(answer, gateway_client, target_id, name)
    except Py4JJavaError as e:
        gateway = _GATEWAYS.get(gateway_client)
        if gateway is None:
            raise
        raise gateway._java_error(e) from None


def _constant_time_client_auth(command, input_stream, sock, auth_token):
    """Py4J's check of a JVM connecting to the driver's callback server, comparing tokens in constant time."""
    try:
        if command != py4j.protocol.AUTH_COMMAND_NAME:
            raise py4j.protocol.Py4JAuthenticationError(
                "Expected {}, received {}.".format(py4j.protocol.AUTH_COMMAND_NAME, command))
        client_token = py4j.protocol.smart_decode(input_stream.readline()[:-1])
        input_stream.readline()
        if hmac.compare_digest(auth_token.encode("utf-8"), client_token.encode("utf-8")):
            sock.sendall(py4j.protocol.OUTPUT_VOID_COMMAND.encode("utf-8"))
            return True
        sock.sendall(py4j.protocol.ERROR_RETURN_MESSAGE.encode("utf-8"))
        raise py4j.protocol.Py4JAuthenticationError("Client authentication failed.")
    except py4j.protocol.Py4JAuthenticationError:
        raise
    except Exception as e:
        raise py4j.protocol.Py4JAuthenticationError("An error occurred while trying to authenticate.", e)


# Installed once, on import: the first only changes the exception class for gateways made here (other Py4J users in
# this process see no difference), the second only how the token is compared.
for _module in (py4j.protocol, py4j.java_gateway, py4j.java_collections, py4j.clientserver):
    if getattr(_module, "get_return_value", None) is _ORIGINAL_GET_RETURN_VALUE:
        _module.get_return_value = _get_return_value
py4j.clientserver.do_client_auth = _constant_time_client_auth


class _PollingConnection(ClientServerConnection):
    """Py4J's connection from a Python thread to its pinned JVM thread, over the gateway's Unix socket instead of
    TCP, reading answers with :class:`_linereader.PollingLineReader` (the reason is there)."""

    def connect_to_java_server(self):
        # Py4J's own steps, with an AF_UNIX socket at the gateway's path
        try:
            self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            if self.java_parameters.read_timeout:
                self.socket.settimeout(self.java_parameters.read_timeout)
            self.socket.connect(self.java_client.pyworkers_socket_path)
            spin_s = self.java_client.pyworkers_spin_s
            self.stream = (_linereader.PollingLineReader(self.socket, spin_s) if spin_s
                           else self.socket.makefile("rb"))
            self.is_connected = True
            self.initiated_from_client = True
            self._authenticate_connection()
        except Py4JAuthenticationError:
            self.close(reset=True)
            self.is_connected = False
            raise
        except Exception:
            self.close()
            self.is_connected = False
            raise


class _WatchedJavaClient(JavaClient):
    """Py4J's client, turning a network error into :class:`GatewayDiedError` when the JVM has exited, with
    connections that poll for answers."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.pyworkers_process: Optional["subprocess.Popen[bytes]"] = None
        self.pyworkers_spin_s = 0.0
        self.pyworkers_socket_path = ""

    def _create_new_connection(self):
        connection = _PollingConnection(self.java_parameters, self.python_parameters, self.gateway_property, self)
        connection.connect_to_java_server()
        self.set_thread_connection(connection)
        return connection

    def send_command(self, command, retry=True, binary=False):
        try:
            return super().send_command(command, retry, binary)
        except (Py4JNetworkError, OSError) as e:  # Py4J's retry can raise the reconnect's own socket error
            raise _died_or(self.pyworkers_process, e) from e


def _check_partitions(partitions) -> None:
    if isinstance(partitions, bool) or not isinstance(partitions, int) or not 1 <= partitions <= 1024:
        raise ValueError("partitions must be an int from 1 to 1024, got %r" % (partitions,))


class _DriverClientServer(ClientServer):
    def __init__(self, *args, spin_s: float, socket_path: str, **kwargs) -> None:
        # before Py4J's constructor, which makes the gateway client
        self._pyworkers_spin_s = spin_s
        self._pyworkers_socket_path = socket_path
        super().__init__(*args, **kwargs)

    def _create_gateway_client(self):
        worker_deque = self._create_finalizer_worker()
        client = _WatchedJavaClient(self.java_parameters, self.python_parameters, finalizer_deque=worker_deque)
        client.pyworkers_spin_s = self._pyworkers_spin_s
        client.pyworkers_socket_path = self._pyworkers_socket_path
        return client

    def set_gateway_client(self, gateway_client):
        super().set_gateway_client(gateway_client)
        if gateway_client.converters:  # auto_convert: the same conversions, without their cost on plain values
            gateway_client.converters = _convert.converters()


class Gateway:
    """A gateway JVM that this process launched (:func:`connect`). ``jvm`` is Py4J's view of its classes
    (``gw.jvm.java.util.ArrayList()``), ``entry_point`` the gateway's own object. Use it as a context manager, or
    call :meth:`close`: the JVM and every worker it started end. The JVM also ends when this process does, however
    it ends. Calls may come from any thread (Py4J pins a JVM thread to each Python thread)."""

    def __init__(self, launched: "_launch.Launched", python: str, spin_us: float = 50.0) -> None:
        self._launched = launched
        self._process = launched.process
        self._python = python
        self._closed = False
        self._lock = threading.Lock()
        self._jobs: "weakref.WeakSet[Any]" = weakref.WeakSet()
        self._client = _DriverClientServer(
            spin_s=spin_us / 1e6, socket_path=launched.socket_path,
            java_parameters=JavaParameters(auth_token=launched.token, auto_convert=True,
                                           auto_close=True, daemonize_memory_management=True),
            python_parameters=PythonParameters(port=0, auth_token=launched.token, daemonize=True,
                                               daemonize_connections=True, eager_load=True))
        client = self._client._gateway_client
        client.pyworkers_process = self._process
        _GATEWAYS[client] = self
        try:
            self.entry_point = self._client.entry_point
            self.jvm = self._client.jvm
            self.entry_point.callbackPort(self._client.get_callback_server().get_listening_port())
        except BaseException:
            self.close()
            raise

    # -- what the gateway is -------------------------------------------------------------------------------------

    @property
    def pid(self) -> int:
        """The gateway JVM's pid."""
        return self._launched.pid

    @property
    def version(self) -> str:
        return self._launched.version

    @property
    def python(self) -> str:
        """The interpreter that the workers run by default: this process's own."""
        return self._python

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def py4j(self) -> ClientServer:
        """Py4J's ClientServer, for what this class does not wrap (``java_import``, ``new_array``, ...)."""
        return self._client

    def _java_error(self, e: Py4JJavaError) -> JavaError:
        try:
            java_class, message, trace = self.entry_point.describe(e.java_exception)
        except Exception as inner:  # the JVM may be gone: keep what Py4J said
            return JavaError("(unknown)", "%s (could not describe it: %s)" % (e.errmsg, inner), "", e.java_exception)
        return JavaError(java_class, message, trace, e.java_exception)

    def _check_open(self) -> None:
        if self._closed:
            raise DriverError("this gateway is closed; call pyworkers.connect() for a new one")

    # -- jobs ----------------------------------------------------------------------------------------------------

    def map(self, f: Callable[[Any], Any], iterable: Iterable[Any], partitions: int = 2, chunk_size: int = 10_000,
            python: Optional[str] = None, includes: Optional[Sequence[str]] = None) -> Iterator[Any]:
        """``f`` over every element of ``iterable`` in ``partitions`` pooled workers, results in input order.

        The elements go in chunks of ``chunk_size``, dealt to the partitions in turn; ``f`` and the elements are
        pickled (``f`` with cloudpickle). Memory stays bounded on every side: the input is read as the workers
        need it, and results come back as the returned iterator is read. Closing the iterator early, or a
        KeyboardInterrupt while reading it, cancels the job and kills its workers. An exception in ``f`` is raised
        here as :class:`PythonTaskError` with the worker's traceback and the partition.

        ``python`` is the workers' interpreter (default: this one); ``includes`` are folders put on the workers'
        ``sys.path`` (default: the folder of the ``__main__`` script, when there is one).
        """
        from . import _map

        self._check_open()
        if not callable(f):
            raise TypeError("map needs a callable first, got %r" % (f,))
        _check_partitions(partitions)
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise ValueError("chunk_size must be a positive int, got %r" % (chunk_size,))
        return _map.run(self, f, iterable, partitions, chunk_size, python or self._python,
                        list(includes) if includes is not None else _default_includes())

    def map_in_pandas(self, f: Callable[[Any], Any], frame, partitions: int = 2, chunk_rows: int = 10_000,
                      python: Optional[str] = None, includes: Optional[Sequence[str]] = None):
        """``f`` over slices of ``frame`` (a pandas DataFrame or a pyarrow Table) of up to ``chunk_rows`` rows, in
        ``partitions`` workers; ``f`` gets each slice as the same kind of frame and returns one with any number of
        rows, as the CLI's ``--pandas`` FUNC does. Returns the results concatenated in input order, as a DataFrame
        for a DataFrame (default index) or a Table for a Table. The slices travel as Arrow IPC streams. Needs
        pyarrow and pandas here and in the workers. Errors are those of :meth:`map`."""
        from . import _frames

        self._check_open()
        if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int) or chunk_rows < 1:
            raise ValueError("chunk_rows must be a positive int, got %r" % (chunk_rows,))
        _check_partitions(partitions)
        return _frames.run(self, f, frame, partitions, chunk_rows, python or self._python,
                           list(includes) if includes is not None else _default_includes())

    def run_file(self, f, input, output, workers: int = 2, pandas: bool = False, **options):
        """What ``pyworkers run`` does, in this gateway's JVM: ``f`` (a function, or ``"FILE.py:FUNC"``) over every
        record of the file ``input``, written to ``output`` in input order, atomically, by ``workers`` workers.
        ``pandas=True`` is ``--pandas`` (``f`` gets and returns DataFrames). Other keyword arguments are the
        command's options with ``_`` for ``-``: ``format="csv"``, ``allow_nan=True``, ``task_timeout="30s"``,
        ``schema=...``, ``progress=True`` (default off). Returns a ``RunResult`` (records, summary line); a
        failure raises ``RunFileError`` with the command's exit code and message. Ctrl-C cancels the run."""
        from . import _files

        self._check_open()
        if isinstance(workers, bool) or not isinstance(workers, int):
            raise TypeError("workers must be an int, got %r" % (workers,))
        return _files.run(self, f, input, output, workers, pandas, options)

    # -- lifetime ------------------------------------------------------------------------------------------------

    def close(self, timeout: float = 10.0) -> None:
        """Stops the JVM and every worker it started, and waits for the JVM to exit (killing it after
        ``timeout`` seconds). Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for job in list(self._jobs):
            job.close()
        try:
            self._client.shutdown()
        except Exception:
            pass
        process = self._process
        try:
            if process.stdin is not None:
                process.stdin.close()
        except OSError:
            pass
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)

    def __enter__(self) -> "Gateway":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return "<pyworkers Gateway pid=%d socket=%s %s>" % (self.pid, self._launched.socket_path, state)


def _default_includes() -> List[str]:
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if path:
        return [os.path.dirname(os.path.abspath(path))]
    return []


def connect(java: Optional[str] = None, jvm_options: Sequence[str] = (), jar: Optional[str] = None,
            python: Optional[str] = None, start_timeout: float = 60.0, spin_us: float = 50.0) -> Gateway:
    """Starts a gateway JVM and connects to it.

    ``java``: the java executable (default ``$JAVA_HOME/bin/java``, else ``java`` on PATH; Java 17 or newer).
    ``jvm_options``: extra JVM flags, such as ``["-Xmx2g"]``. ``jar``: the pyworkers jar (default
    ``$PYWORKERS_JAR``, else the one the wheel ships). ``python``: the workers' interpreter (default this one).
    ``spin_us``: how long a call polls for the JVM's answer before it sleeps, in microseconds (0 to 10000, default
    50; 0 turns polling off). Polling keeps a call's CPU awake, which on a virtual machine saves tens of
    microseconds a call; a call that takes longer costs at most this much CPU more.
    """
    if isinstance(jvm_options, str):
        raise TypeError("jvm_options must be a list of flags, not the string %r" % (jvm_options,))
    if isinstance(spin_us, bool) or not isinstance(spin_us, (int, float)) or not 0 <= spin_us <= 10_000:
        raise ValueError("spin_us must be a number of microseconds from 0 to 10000, got %r" % (spin_us,))
    launched = _launch.launch(java, jar, list(jvm_options), start_timeout)
    return Gateway(launched, python or sys.executable, spin_us)
