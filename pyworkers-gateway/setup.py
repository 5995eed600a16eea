"""Builds the `pyworkers` wheel from three places in the checkout (pyproject.toml says which).

The build step runs `bin/pyworkers --version`, which builds pyworkers-cli's shaded jar with the Maven wrapper when
it is missing or older than any source, then copies core's runtime package, the driver package and the jar into the
wheel. Run through pip from the checkout (`pip install ./pyworkers-gateway`); an sdist is not supported, because
the parts live outside this folder.
"""
import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORE = os.path.join(ROOT, "pyworkers-core", "src", "main", "python", "pyworkers")
DRIVER = os.path.join(HERE, "src", "main", "python", "pyworkers", "driver")
JAR = os.path.join(ROOT, "pyworkers-cli", "target", "pyworkers.jar")


def _copy_py(src, dst, recurse):
    os.makedirs(dst, exist_ok=True)
    for name in sorted(os.listdir(src)):
        path = os.path.join(src, name)
        if name.endswith(".py"):
            shutil.copy2(path, os.path.join(dst, name))
        elif recurse and os.path.isdir(path) and os.path.isfile(os.path.join(path, "__init__.py")):
            _copy_py(path, os.path.join(dst, name), recurse)


class BuildWithJar(build_py):
    def run(self):
        if not os.path.isdir(CORE):
            raise SystemExit("pyworkers: %s is missing; build the wheel from a full checkout" % CORE)
        launcher = os.path.join(ROOT, "bin", "pyworkers")
        result = subprocess.run([launcher, "--version"], stdout=subprocess.DEVNULL)
        if result.returncode != 0 or not os.path.isfile(JAR):
            raise SystemExit("pyworkers: building %s failed (exit %d); the Maven output above says why"
                             % (JAR, result.returncode))
        target = os.path.join(self.build_lib, "pyworkers")
        _copy_py(CORE, target, True)
        _copy_py(DRIVER, os.path.join(target, "driver"), False)
        os.makedirs(os.path.join(target, "driver", "jars"), exist_ok=True)
        shutil.copy2(JAR, os.path.join(target, "driver", "jars", "pyworkers.jar"))


class Distribution(__import__("setuptools").Distribution):
    def has_pure_modules(self):
        # the packages come from BuildWithJar, not from a package list, so say there are some
        return True


setup(cmdclass={"build_py": BuildWithJar}, distclass=Distribution)
