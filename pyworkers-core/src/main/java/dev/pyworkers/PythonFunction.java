package dev.pyworkers;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One Python function to run in a worker, with what it needs there: environment variables, Python includes, the
 * Python executable and version it was made for, broadcast variables and an accumulator for its updates. Make one
 * from cloudpickle bytes (what a Python driver ships), a {@code module:function} reference, or source text. The
 * worker checks each and explains a failure (module not found, name not callable, syntax error with its line).
 * Immutable and thread-safe; the {@code with*} methods return copies.
 */
public final class PythonFunction {
  private static final Pattern REFERENCE =
      Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*");
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern VERSION = Pattern.compile("\\d+\\.\\d+");

  /** How the function travels: the wire codes of docs/protocol.md section 5.1. */
  public enum Kind {
    CLOUDPICKLE(1), REFERENCE(2), SOURCE(3);

    private final int code;

    Kind(int code) {
      this.code = code;
    }

    public int code() {
      return code;
    }
  }

  private final Kind kind;
  private final byte[] pickled;
  private final String text;
  private final String name;
  private final Map<String, String> env;
  private final List<String> includes;
  private final String pythonExecutable;
  private final String pythonVersion;
  private final List<Broadcast> broadcasts;
  private final PythonAccumulator accumulator;
  private final ReturnType returnType;
  private final OnMismatch onMismatch;

  private PythonFunction(Kind kind, byte[] pickled, String text, String name, Map<String, String> env,
      List<String> includes, String pythonExecutable, String pythonVersion, List<Broadcast> broadcasts,
      PythonAccumulator accumulator, ReturnType returnType, OnMismatch onMismatch) {
    this.kind = kind;
    this.pickled = pickled;
    this.text = text;
    this.name = name;
    this.env = env;
    this.includes = includes;
    this.pythonExecutable = pythonExecutable;
    this.pythonVersion = pythonVersion;
    this.broadcasts = broadcasts;
    this.accumulator = accumulator;
    this.returnType = returnType;
    this.onMismatch = onMismatch;
  }

  private static PythonFunction make(Kind kind, byte[] pickled, String text, String name) {
    return new PythonFunction(kind, pickled, text, name, Map.of(), List.of(), null, "", List.of(), null,
        ReturnType.ANY, OnMismatch.ERROR);
  }

  /** A function pickled by cloudpickle ({@code cloudpickle.dumps(f)}). The worker needs cloudpickle installed. */
  public static PythonFunction cloudpickle(byte[] payload) {
    Objects.requireNonNull(payload, "payload");
    if (payload.length == 0 || payload.length > (256 << 20)) {
      throw new IllegalArgumentException(
          "cloudpickle payload is " + payload.length + " bytes; it must be 1 byte to 256 MiB (ship large data as a"
              + " broadcast variable instead)");
    }
    return make(Kind.CLOUDPICKLE, payload.clone(), null, null);
  }

  /** A function importable in the worker, such as {@code "json:dumps"} or {@code "mypkg.udfs:Parser.parse"}. */
  public static PythonFunction reference(String moduleColonFunction) {
    if (moduleColonFunction == null || !REFERENCE.matcher(moduleColonFunction).matches()) {
      throw new IllegalArgumentException(
          "function reference '" + moduleColonFunction + "' is not of the form 'module:function' (for example"
              + " 'json:dumps' or 'pkg.mod:Class.method')");
    }
    return make(Kind.REFERENCE, null, moduleColonFunction, null);
  }

  /** Python source text defining {@code functionName}, for Java users. Tracebacks name the file {@code <udf>}. */
  public static PythonFunction source(String sourceText, String functionName) {
    Objects.requireNonNull(sourceText, "sourceText");
    if (functionName == null || !IDENTIFIER.matcher(functionName).matches()) {
      throw new IllegalArgumentException("function name '" + functionName + "' is not a Python identifier");
    }
    if (sourceText.length() > (64 << 20) / 4) {
      throw new IllegalArgumentException("source text of " + sourceText.length() + " chars is over 16 Mi chars");
    }
    return make(Kind.SOURCE, null, sourceText, functionName);
  }

  /** Extra environment variables for the worker; part of the worker factory's key. */
  public PythonFunction withEnv(Map<String, String> vars) {
    return new PythonFunction(kind, pickled, text, name, Map.copyOf(vars), includes, pythonExecutable,
        pythonVersion, broadcasts, accumulator, returnType, onMismatch);
  }

  /** Files or folders (relative to the task's files folder, or absolute) put on the worker's sys.path. */
  public PythonFunction withIncludes(List<String> paths) {
    return new PythonFunction(kind, pickled, text, name, env, List.copyOf(paths), pythonExecutable, pythonVersion,
        broadcasts, accumulator, returnType, onMismatch);
  }

  /** The Python executable to run it with; null means the runner's default. */
  public PythonFunction withPythonExecutable(String executable) {
    return new PythonFunction(kind, pickled, text, name, env, includes, executable, pythonVersion, broadcasts,
        accumulator, returnType, onMismatch);
  }

  /** The {@code major.minor} it was made for; a worker of another version refuses it. Empty: no check. */
  public PythonFunction withPythonVersion(String majorMinor) {
    if (!majorMinor.isEmpty() && !VERSION.matcher(majorMinor).matches()) {
      throw new IllegalArgumentException("python version '" + majorMinor + "' is not of the form 'X.Y', e.g. '3.11'");
    }
    return new PythonFunction(kind, pickled, text, name, env, includes, pythonExecutable, majorMinor, broadcasts,
        accumulator, returnType, onMismatch);
  }

  public PythonFunction withBroadcasts(List<Broadcast> values) {
    return new PythonFunction(kind, pickled, text, name, env, includes, pythonExecutable, pythonVersion,
        List.copyOf(values), accumulator, returnType, onMismatch);
  }

  /** Receives this function's {@code pyworkers.context.accumulate(value)} updates. */
  public PythonFunction withAccumulator(PythonAccumulator acc) {
    return new PythonFunction(kind, pickled, text, name, env, includes, pythonExecutable, pythonVersion, broadcasts,
        acc, returnType, onMismatch);
  }

  /**
   * The Java type its results are converted to (SQL_BATCHED_UDF); the last function of a chain decides. A result
   * that does not fit fails the task ({@link OnMismatch#ERROR}).
   */
  public PythonFunction withReturnType(ReturnType type) {
    return withReturnType(type, OnMismatch.ERROR);
  }

  /** {@link #withReturnType(ReturnType)}, with what a result that does not fit becomes: an error, or null. */
  public PythonFunction withReturnType(ReturnType type, OnMismatch mismatch) {
    return new PythonFunction(kind, pickled, text, name, env, includes, pythonExecutable, pythonVersion, broadcasts,
        accumulator, Objects.requireNonNull(type, "returnType"), Objects.requireNonNull(mismatch, "onMismatch"));
  }

  public Kind kind() { return kind; }
  /** The cloudpickle payload (a copy), or null. */
  public byte[] pickled() { return pickled == null ? null : pickled.clone(); }
  /** The reference or the source text, or null. */
  public String text() { return text; }
  /** The function name for source text, or null. */
  public String functionName() { return name; }
  public Map<String, String> env() { return env; }
  public List<String> includes() { return includes; }
  public String pythonExecutable() { return pythonExecutable; }
  public String pythonVersion() { return pythonVersion; }
  public List<Broadcast> broadcasts() { return broadcasts; }
  public PythonAccumulator accumulator() { return accumulator; }
  public ReturnType returnType() { return returnType; }
  public OnMismatch onMismatch() { return onMismatch; }

  @Override
  public String toString() {
    return switch (kind) {
      case CLOUDPICKLE -> "PythonFunction{cloudpickle, " + pickled.length + " bytes}";
      case REFERENCE -> "PythonFunction{" + text + "}";
      case SOURCE -> "PythonFunction{source, def " + name + "}";
    };
  }
}
