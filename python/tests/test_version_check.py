"""The interpreter-version gate: in the daemon and worker entry points, and in pyworkers/__init__.py only for an
old interpreter locating a ``-m`` module; importing the package never exits."""
import ast
import glob
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pyworkers
from pyworkers_testing.harness import SRC_DIR, TIMEOUT, child_env

INIT_FILE = SRC_DIR / "pyworkers" / "__init__.py"


@pytest.mark.parametrize("version", [(2, 7, 18), (3, 7, 0)])
def test_check_version_rejectsOldPython_withMessageNamingInterpreterAndVersion(version):
    error = pyworkers._check_version(version + ("final", 0), "/opt/old/bin/python")
    expected_version = "%d.%d.%d" % version
    assert error == (
        "pyworkers requires Python 3.8 or newer, but /opt/old/bin/python is %s; "
        "point the python executable setting at a newer interpreter\n" % expected_version
    )


@pytest.mark.parametrize("version", [(3, 8, 0), (3, 12, 1), (4, 0, 0)])
def test_check_version_acceptsPython38AndNewer(version):
    assert pyworkers._check_version(version, "/usr/bin/python3") is None


def test_init_module_parsesWithOldestGrammar_soOldInterpretersReachTheCheck():
    source = INIT_FILE.read_text(encoding="utf-8")
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


def test_import_withFakedOldVersion_neverExits():
    code = "import sys; sys.version_info = (3, 7, 1, 'final', 0); import pyworkers; print('imported')"
    result = subprocess.run(
        [sys.executable, "-c", code], env=child_env(), capture_output=True, timeout=TIMEOUT, text=True
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "imported\n", "")


@pytest.mark.parametrize("module", ["pyworkers.daemon", "pyworkers.worker"])
def test_entryPoint_withFakedOldVersion_exits6WithMessage_beforeReadingStdin(module):
    # The entry module is imported (it compiles on this interpreter) and its main refuses to run.
    code = (
        "import runpy, sys; sys.version_info = (3, 7, 1, 'final', 0); "
        "runpy.run_module(%r, run_name='__main__', alter_sys=True)" % module
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=child_env(), input="", capture_output=True, timeout=TIMEOUT, text=True
    )
    _assert_too_old_message(result)


@pytest.mark.parametrize("module", ["pyworkers.daemon", "pyworkers.worker"])
def test_dashM_withFakedOldVersion_exitsInThePackageBeforeTheEntryModuleIsCompiled(module, tmp_path):
    # An interpreter too old to compile the entry modules reaches only the package. sitecustomize fakes the version
    # before `-m` imports pyworkers, and makes the entry modules fail to load as they would there.
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\n"
        "sys.version_info = (3, 7, 1, 'final', 0)\n"
        "class TooNew:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name in ('pyworkers.daemon', 'pyworkers.worker'):\n"
        "            raise SyntaxError(name + ' needs a newer Python')\n"
        "        return None\n"
        "sys.meta_path.insert(0, TooNew())\n"
    )
    env = child_env({"PYTHONPATH": os.pathsep.join([str(tmp_path), child_env()["PYTHONPATH"]])})
    result = subprocess.run(
        [sys.executable, "-m", module], env=env, input="", capture_output=True, timeout=TIMEOUT, text=True
    )
    _assert_too_old_message(result)


@pytest.mark.parametrize("argv, major, expected", [
    (["-m"], 3, True), (["-c"], 2, True), (["-c"], 3, False), (["/usr/bin/app.py"], 3, False), ([], 3, False),
])
def test_locating_main_module_isTrueOnlyForTheDashMPlaceholder(argv, major, expected):
    assert pyworkers._locating_main_module(argv, major) is expected


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
