package dev.pyworkers.spark.internal;

import dev.pyworkers.PythonFunction;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A {@link PythonFunction} as Spark ships it to the executors: the Java serializable part of it (its kind, code,
 * environment, includes and interpreter), rebuilt there by {@link #toFunction}. Broadcasts and accumulators are
 * pyworkers' own and do not travel through Spark; a function that has one is refused when the job is planned.
 * Immutable.
 */
public final class FunctionSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  private final PythonFunction.Kind kind;
  private final byte[] pickled;
  private final String text;
  private final String name;
  private final LinkedHashMap<String, String> env;
  private final ArrayList<String> includes;
  private final String pythonExecutable;
  private final String pythonVersion;

  private FunctionSpec(PythonFunction f) {
    this.kind = f.kind();
    this.pickled = f.pickled();
    this.text = f.text();
    this.name = f.functionName();
    this.env = new LinkedHashMap<>(f.env());
    this.includes = new ArrayList<>(f.includes());
    this.pythonExecutable = f.pythonExecutable();
    this.pythonVersion = f.pythonVersion();
  }

  /** The shippable part of {@code f}; {@code what} names it in errors ("the UDF of column 'y'"). */
  public static FunctionSpec of(PythonFunction f, String what) {
    Objects.requireNonNull(f, what);
    if (!f.broadcasts().isEmpty()) {
      throw new IllegalArgumentException(what + " has " + f.broadcasts().size() + " pyworkers broadcast(s); in Spark"
          + " use a Spark broadcast variable, or ship the data with the function (cloudpickle) or as a file"
          + " (spark.files)");
    }
    if (f.accumulator() != null) {
      throw new IllegalArgumentException(what + " has a pyworkers accumulator; in Spark, return the values as"
          + " results and aggregate them with Spark");
    }
    return new FunctionSpec(f);
  }

  /**
   * The interpreter to start on this executor: the function's own, else the job's {@code jobPython}, resolved as
   * {@link SparkTasks#resolvePython} says.
   */
  public String executable(String jobPython) {
    return SparkTasks.resolvePython(pythonExecutable != null ? pythonExecutable : jobPython);
  }

  /** The function again, on {@code executable}, without a return type (the caller sets the one Spark needs). */
  public PythonFunction toFunction(String executable) {
    PythonFunction f = switch (kind) {
      case CLOUDPICKLE -> PythonFunction.cloudpickle(pickled);
      case REFERENCE -> PythonFunction.reference(text);
      case SOURCE -> PythonFunction.source(text, name);
    };
    if (!env.isEmpty()) f = f.withEnv(Map.copyOf(env));
    if (!includes.isEmpty()) f = f.withIncludes(List.copyOf(includes));
    if (pythonVersion != null && !pythonVersion.isEmpty()) f = f.withPythonVersion(pythonVersion);
    return f.withPythonExecutable(executable);
  }

  @Override
  public String toString() {
    return kind == PythonFunction.Kind.SOURCE ? "source function " + name
        : kind == PythonFunction.Kind.REFERENCE ? "function " + text : "cloudpickled function";
  }
}
