"""A handler module whose dependency is missing: it fails to import as ``import pyarrow`` would where pyarrow is not
installed (simulated, so the test does not depend on what the test Python has)."""
raise ModuleNotFoundError("No module named 'pyarrow'", name="pyarrow")
