"""Starting the gateway JVM (``docs/protocol.md`` section 9.1).

The token is written on the JVM's standard input, the one channel only the two processes share; the JVM answers
with ``gateway.info`` (its port and pid) in a private folder made like ``mkdtemp`` (0700) and written by an atomic
rename, so that nothing the JVM prints can be mistaken for it. Neither the token nor the port is ever in argv or the
environment. The JVM reads its standard input until it closes, which happens when this process exits or is killed,
and then exits itself; it runs in a session of its own so that a Ctrl-C at the terminal reaches only this process,
which cancels the JVM's jobs itself.
"""
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from typing import List, Optional, Sequence

from .errors import GatewayStartError

MAIN_CLASS = "dev.pyworkers.gateway.GatewayMain"
INFO_FILE = "gateway.info"
PROTOCOL_VERSION = 2
#: Flags every gateway JVM gets before the caller's: Arrow Java's opening of java.nio, and a JVM that starts fast
#: (class data sharing where the JDK has it). The JIT is the JVM's default, C1 then C2: C1 alone (the flag
#: -XX:TieredStopAtLevel=1) made every Py4J call about 10 us slower and started no faster (BENCHMARKS.md, bench
#: gateway).
DEFAULT_JVM_OPTIONS = (
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "-XX:+UseSerialGC",
    "-Xshare:auto",
)
JAR_ENV = "PYWORKERS_JAR"


class Launched:
    """A started gateway JVM: its process, the path of its Py4J socket (a Unix socket in a 0700 folder), its pid and
    token."""

    def __init__(self, process: "subprocess.Popen[bytes]", socket_path: str, pid: int, token: str,
                 version: str) -> None:
        self.process = process
        self.socket_path = socket_path
        self.pid = pid
        self.token = token
        self.version = version


def find_java(java: Optional[str] = None) -> str:
    """``java`` if given, else ``$JAVA_HOME/bin/java``, else ``java`` on PATH."""
    if java:
        if not (os.path.isfile(java) and os.access(java, os.X_OK)):
            raise GatewayStartError("java=%r is not an executable file; pass the path of a Java 17+ java" % (java,))
        return java
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = os.path.join(home, "bin", "java")
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
        raise GatewayStartError(
            "JAVA_HOME is %r, but %s is not an executable file; point JAVA_HOME at a Java 17+ installation or pass "
            "java=..." % (home, candidate))
    found = shutil.which("java")
    if not found:
        raise GatewayStartError("no java found: pass java=..., set JAVA_HOME, or put a Java 17+ java on PATH")
    return found


def find_jar(jar: Optional[str] = None) -> str:
    """``jar`` if given, else ``$PYWORKERS_JAR``, else the jar inside this package (the wheel ships it)."""
    candidates = []
    if jar:
        candidates.append(("jar=", jar))
    elif os.environ.get(JAR_ENV):
        candidates.append((JAR_ENV, os.environ[JAR_ENV]))
    else:
        candidates.append(("the jar the wheel ships", os.path.join(os.path.dirname(__file__), "jars", "pyworkers.jar")))
    where, path = candidates[0]
    if not os.path.isfile(path):
        raise GatewayStartError(
            "the pyworkers jar is missing: %s is %r, which is not a file; reinstall the driver with "
            "'pip install ./pyworkers-gateway' from a checkout (it builds and bundles the jar), or pass jar=..."
            % (where, path))
    return path


def launch(java: Optional[str], jar: Optional[str], jvm_options: Sequence[str], timeout_s: float,
           env: Optional[dict] = None) -> Launched:
    java_exe = find_java(java)
    jar_path = find_jar(jar)
    for opt in jvm_options:
        if not isinstance(opt, str) or not opt.startswith("-"):
            raise GatewayStartError("jvm_options must be JVM flags starting with '-', got %r" % (opt,))
    folder = tempfile.mkdtemp(prefix="pyworkers-driver-")
    token = secrets.token_hex(32)
    cmd: List[str] = [java_exe, *DEFAULT_JVM_OPTIONS, *jvm_options, "-cp", jar_path, MAIN_CLASS,
                      "--info-folder", folder]
    try:
        process = subprocess.Popen(cmd, stdin=subprocess.PIPE, start_new_session=True, close_fds=True, env=env)
    except OSError as e:
        shutil.rmtree(folder, ignore_errors=True)
        raise GatewayStartError("could not start %s: %s" % (java_exe, e)) from e
    try:
        assert process.stdin is not None
        process.stdin.write((token + "\n").encode("ascii"))
        process.stdin.flush()
        info = _wait_for_info(process, os.path.join(folder, INFO_FILE), timeout_s, cmd)
    except BaseException:
        _kill(process)
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if info.get("protocol") != str(PROTOCOL_VERSION):
        _kill(process)
        raise GatewayStartError(
            "the jar %s speaks gateway protocol %s, this driver speaks %d; install the driver and the jar from the "
            "same build" % (jar_path, info.get("protocol"), PROTOCOL_VERSION))
    return Launched(process, info["socket"], int(info["pid"]), token, info.get("version", "?"))


def _wait_for_info(process: "subprocess.Popen[bytes]", path: str, timeout_s: float, cmd: List[str]) -> dict:
    deadline = time.monotonic() + timeout_s
    delay = 0.001
    while True:
        try:
            with open(path, "rb") as f:
                text = f.read().decode("utf-8")
            break
        except FileNotFoundError:
            pass
        code = process.poll()
        if code is not None:
            raise GatewayStartError(
                "the gateway JVM exited with code %d before it was ready; its output is above. It needs Java 17 or "
                "newer (set JAVA_HOME or pass java=...). Command: %s" % (code, " ".join(cmd)))
        if time.monotonic() > deadline:
            raise GatewayStartError(
                "the gateway JVM (pid %d) was not ready within %.1f s; pass a larger start_timeout or look at its "
                "output above" % (process.pid, timeout_s))
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
    lines = text.splitlines()
    if not lines or not lines[0].startswith("pyworkers-gateway "):
        raise GatewayStartError("the gateway JVM wrote an unreadable %s: %r" % (INFO_FILE, text[:200]))
    info = {"protocol": lines[0].split(" ", 1)[1]}
    for line in lines[1:]:
        key, _, value = line.partition("=")
        info[key] = value
    return info


def _kill(process: "subprocess.Popen[bytes]") -> None:
    try:
        process.kill()
    except OSError:
        pass
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        sys.stderr.write("pyworkers: the gateway JVM pid %d did not exit after SIGKILL\n" % process.pid)
