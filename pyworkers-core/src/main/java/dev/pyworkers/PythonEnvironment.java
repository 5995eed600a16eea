package dev.pyworkers;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The key of a worker factory: a Python executable and the environment variables its processes get on top of the
 * JVM's own. Two equal environments share one factory, one daemon and one idle pool. Immutable and thread-safe.
 *
 * <p>A {@code PYTHONPATH} entry here is kept, after pyworkers' own package folder.
 */
public final class PythonEnvironment {
  private final String executable;
  private final Map<String, String> variables;

  private PythonEnvironment(String executable, Map<String, String> variables) {
    this.executable = executable;
    this.variables = variables;
  }

  /** The given executable (a path, or a name looked up on PATH) with no extra environment variables. */
  public static PythonEnvironment of(String executable) {
    return of(executable, Map.of());
  }

  public static PythonEnvironment of(String executable, Map<String, String> variables) {
    Objects.requireNonNull(executable, "executable");
    Objects.requireNonNull(variables, "variables");
    if (executable.isBlank()) {
      throw new IllegalArgumentException(
          "python executable is blank; give a path or a name on PATH, for example \"python3\"");
    }
    TreeMap<String, String> copy = new TreeMap<>();
    variables.forEach(
        (k, v) -> {
          if (k == null || k.isEmpty() || k.indexOf('=') >= 0 || k.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(
                "environment variable name '" + k + "' is invalid; names must be non-empty without '=' or NUL");
          }
          if (v == null || v.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(
                "environment variable " + k + " has a null value or contains NUL; give a plain string");
          }
          copy.put(k, v);
        });
    return new PythonEnvironment(executable, java.util.Collections.unmodifiableMap(copy));
  }

  public String executable() {
    return executable;
  }

  /** The extra variables, sorted by name. */
  public Map<String, String> variables() {
    return variables;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PythonEnvironment other
        && executable.equals(other.executable)
        && variables.equals(other.variables);
  }

  @Override
  public int hashCode() {
    return executable.hashCode() * 31 + variables.hashCode();
  }

  /** Names the executable and the variable names only: values may be secrets. */
  @Override
  public String toString() {
    return "PythonEnvironment{" + executable + ", variables=" + variables.keySet() + "}";
  }
}
