"""The interpreter-version gate: in the entry modules ``pyworkers.daemon`` and ``pyworkers.worker`` when they run as
``__main__``, never at import time (a driver's REPL imports the package)."""
import ast
import glob
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pyworkers
from pyworkers import _version_gate
from pyworkers_testing.harness import SRC_DIR, TIMEOUT, child_env

# Imported or run by every interpreter before the version is checked, so they must parse with the oldest grammar.
GATE_FILES = ["__init__.py", "_version_gate.py", "daemon.py", "worker.py"]


@pytest.mark.parametrize("version", [(2, 7, 18), (3, 7, 0)])
def test_check_version_rejectsOldPython_withMessageNamingInterpreterAndVersion(version):
    error = _version_gate.check_version(version + ("final", 0), "/opt/old/bin/python")
    expected_version = "%d.%d.%d" % version
    assert error == (
        "pyworkers requires Python 3.8 or newer, but /opt/old/bin/python is %s; "
        "point the python executable setting at a newer interpreter\n" % expected_version
    )


@pytest.mark.parametrize("version", [(3, 8, 0), (3, 12, 1), (4, 0, 0)])
def test_check_version_acceptsPython38AndNewer(version):
    assert _version_gate.check_version(version, "/usr/bin/python3") is None


@pytest.mark.parametrize("name", GATE_FILES)
def test_gateModules_parseWithOldestGrammar_soOldInterpretersReachTheCheck(name):
    source = (SRC_DIR / "pyworkers" / name).read_text(encoding="utf-8")
    tree = ast.parse(source, feature_version=(3, 4))  # no f-strings, no variable annotations
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            assert node.returns is None, "return annotation in %s" % node.name
            args = node.args
            assert not args.kwonlyargs, "keyword-only arguments in %s" % node.name
            for arg in args.args + args.posonlyargs:
                assert arg.annotation is None, "annotation on %s in %s" % (arg.arg, node.name)


def _assert_too_old_message(result):
    assert result.returncode == 6, result.stderr
    # The child names its own sys.executable, which Python normalises from argv[0]; compare the fixed parts.
    assert result.stderr.startswith("pyworkers requires Python 3.8 or newer, but /")
    assert result.stderr.endswith(
        " is 3.7.1; point the python executable setting at a newer interpreter\n"
    ), result.stderr
    assert result.stdout == ""


def _faked_old_env(tmp_path, unloadable=()):
    """An environment whose sitecustomize fakes Python 3.7.1 before anything imports pyworkers, and makes the
    modules named in ``unloadable`` fail to compile, as every module that needs Python 3.8 would on a real 3.7."""
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\n"
        "sys.version_info = (3, 7, 1, 'final', 0)\n"
        "class TooNew:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name in %r:\n"
        "            raise SyntaxError(name + ' needs a newer Python')\n"
        "        return None\n"
        "sys.meta_path.insert(0, TooNew())\n" % (tuple(unloadable),)
    )
    return child_env({"PYTHONPATH": os.pathsep.join([str(tmp_path), child_env()["PYTHONPATH"]])})


def test_import_withFakedOldVersion_neverExits(tmp_path):
    code = "import pyworkers, pyworkers.daemon, pyworkers.worker, pyworkers.context; print('imported')"
    result = subprocess.run(
        [sys.executable, "-c", code], env=_faked_old_env(tmp_path), capture_output=True, timeout=TIMEOUT, text=True
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "imported\n", "")


def test_dashM_ofAModuleThatIsNotAnEntryPoint_withFakedOldVersion_neverExitsInThePackage(tmp_path):
    # Before, the package's __init__ exited 6 whenever `python -m` located any of its modules on an old Python.
    result = subprocess.run(
        [sys.executable, "-m", "pyworkers.context"], env=_faked_old_env(tmp_path), capture_output=True,
        timeout=TIMEOUT, text=True,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize("module", ["pyworkers.daemon", "pyworkers.worker"])
def test_entryPoint_withFakedOldVersion_exits6WithMessage_beforeReadingStdin(module):
    code = (
        "import runpy, sys; sys.version_info = (3, 7, 1, 'final', 0); "
        "runpy.run_module(%r, run_name='__main__', alter_sys=True)" % module
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=child_env(), input="", capture_output=True, timeout=TIMEOUT, text=True
    )
    _assert_too_old_message(result)


@pytest.mark.parametrize("module", ["pyworkers.daemon", "pyworkers.worker"])
def test_dashM_withFakedOldVersion_exits6InTheEntryModule_beforeAnyNewerModuleIsCompiled(module, tmp_path):
    # An interpreter too old to compile the runtime reaches only the package and the entry module (both parse on
    # Python 2.7); every other module of the package fails to load here, as it would there.
    runtime = ["pyworkers." + p.stem for p in (SRC_DIR / "pyworkers").glob("*.py")
               if p.name not in GATE_FILES]
    env = _faked_old_env(tmp_path, unloadable=runtime)
    result = subprocess.run(
        [sys.executable, "-m", module], env=env, input="", capture_output=True, timeout=TIMEOUT, text=True
    )
    _assert_too_old_message(result)


def _old_interpreters():
    """Real interpreters older than 3.8, from $PYWORKERS_TEST_OLD_PYTHONS or a pyenv install, if any."""
    listed = os.environ.get("PYWORKERS_TEST_OLD_PYTHONS")
    if listed is not None:
        return [p for p in listed.split(os.pathsep) if p]
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = []
    for prefix in ("2.7", "3.6", "3.7"):
        found += sorted(glob.glob(str(root / (prefix + ".*") / "bin" / "python")))[-1:]
    return found


@pytest.mark.parametrize("module", ["pyworkers.daemon", "pyworkers.worker"])
def test_realOldInterpreter_runningDaemonOrWorker_exits6WithMessage(module):
    interpreters = _old_interpreters()
    if not interpreters:
        pytest.skip("no Python older than 3.8 found (set PYWORKERS_TEST_OLD_PYTHONS)")
    for python in interpreters:
        result = subprocess.run(
            [python, "-m", module], env=child_env(), stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT
        )
        stderr = result.stderr.decode("utf-8", "replace")
        assert result.returncode == 6, "%s: %s" % (python, stderr)
        assert stderr.startswith("pyworkers requires Python 3.8 or newer, but %s is " % python), stderr
        assert result.stdout == b""
