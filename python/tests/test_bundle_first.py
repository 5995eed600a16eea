"""The bundled worker runtime wins over an installed pyworkers: a worker whose virtual environment also has the
driver's distribution installed (issue 11: ``pip install pyworkers``) imports the bundle, which the JVM puts first on
PYTHONPATH, and never a mismatched installed copy."""
import subprocess
from pathlib import Path

import pytest

from pyworkers_testing.harness import PYTHON, SRC_DIR, TIMEOUT, DaemonProcess, child_env

RUNTIME = ["daemon", "_daemon", "worker", "_worker", "protocol", "task", "context", "auth", "serializers"]


@pytest.fixture(scope="module")
def venv_with_installed_pyworkers(tmp_path_factory):
    """A virtual environment of the test interpreter whose site-packages holds a pyworkers whose every runtime
    module refuses to load."""
    venv = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([PYTHON, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True, timeout=TIMEOUT,
    ).stdout.strip()
    installed = Path(site) / "pyworkers"
    installed.mkdir()
    (installed / "__init__.py").write_text("__version__ = '0.0.1-installed'\n")
    for name in RUNTIME:
        (installed / (name + ".py")).write_text(
            "raise ImportError('the installed copy of pyworkers.%s was imported, not the bundle')\n" % name
        )
    return str(python), installed


def test_installedCopy_isWhatThatEnvironmentImportsWithoutTheBundle(venv_with_installed_pyworkers):
    python, installed = venv_with_installed_pyworkers
    result = subprocess.run(
        [python, "-c", "import pyworkers; print(pyworkers.__file__)"], capture_output=True, text=True,
        timeout=TIMEOUT,
    )
    assert result.stdout.strip() == str(installed / "__init__.py"), result.stderr


def test_workerCode_withTheDriverInstalled_importsTheBundledRuntime(venv_with_installed_pyworkers):
    python, _ = venv_with_installed_pyworkers
    code = "import pyworkers, %s; print(pyworkers.__version__); print(pyworkers.context.__file__)" % ", ".join(
        "pyworkers." + name for name in RUNTIME
    )
    result = subprocess.run([python, "-c", code], env=child_env(), capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["0.1.0", str(SRC_DIR / "pyworkers" / "context.py")]


def test_daemonAndForkedWorker_withTheDriverInstalled_runFromTheBundle(procs, sock_dir, venv_with_installed_pyworkers):
    python, _ = venv_with_installed_pyworkers
    daemon = DaemonProcess(procs, sock_dir, python=python)
    assert daemon.hello.pid == daemon.pid
    daemon.open_worker().ping()
    daemon.close_stdin()
    assert daemon.wait() == 0
