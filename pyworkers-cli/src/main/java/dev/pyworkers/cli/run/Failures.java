package dev.pyworkers.cli.run;

import dev.pyworkers.PythonException;
import dev.pyworkers.TaskCancelledException;
import dev.pyworkers.TaskIdleTimeoutException;
import dev.pyworkers.WorkerCrashedException;
import dev.pyworkers.WorkerStartException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Turns what a run's tasks threw into a {@link RunFailure}: the exit code and the message for stderr. The error
 * types of {@code pyworkers.jobs} carry complete messages (the input line, an excerpt, FUNC's traceback) and are
 * printed as they are; anything else is printed with its Python traceback or its Java message. Stateless.
 */
public final class Failures {
  private Failures() {}

  /** The failure of the task of {@code partition} (null outside a partition, e.g. the FUNC check). */
  public static RunFailure of(Throwable thrown, Partition partition) {
    Throwable t = unwrap(thrown);
    if (t instanceof RunFailure f) return f;
    String where = partition == null ? "" : " while running partition " + partition.index()
        + " (input from " + partition.start() + ")";
    if (t instanceof PythonException e) return python(e, where);
    if (t instanceof WorkerCrashedException e) {
      String part = partition == null ? "" : " while running partition " + partition.index()
          + ", which starts at input " + partition.start();
      return new RunFailure(ExitCode.WORKER_CRASH, "a Python worker crashed" + part + ":\n" + e.getMessage(), e);
    }
    if (t instanceof TaskIdleTimeoutException e) return timeout(e, partition);
    if (t instanceof WorkerStartException e) {
      return new RunFailure(ExitCode.FAILURE, "cannot start a Python worker: " + e.getMessage(), e);
    }
    if (t instanceof TaskCancelledException e) {
      return new RunFailure(ExitCode.FAILURE, "a task was cancelled" + where + ": " + e.getMessage(), e);
    }
    if (t instanceof IOException || t instanceof UncheckedIOException) {
      return new RunFailure(ExitCode.FAILURE, "I/O error" + where + ": " + t.getMessage(), t);
    }
    return new RunFailure(ExitCode.FAILURE, "internal error" + where + ": " + describeInternal(t), t);
  }

  /**
   * Whether {@code t} may be the echo of a Ctrl-C or SIGTERM sent to the whole process group: a process the run was
   * starting or talking to (the JDK's spawn helper, a daemon, a worker) died of SIGINT or SIGTERM before the JVM's own
   * handler had run. The caller then gives the interrupt hook a moment before it reports a failure.
   */
  public static boolean mayEchoASignal(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      String m = String.valueOf(c.getMessage());
      if (m.contains("SIGINT") || m.contains("SIGTERM") || m.contains("signal: 2") || m.contains("signal: 15")) {
        return true;
      }
    }
    return false;
  }

  /**
   * An unexpected throwable for a one-line message: its type and message, and what to do. For an {@link
   * OutOfMemoryError}, the knobs that bound memory; for a {@link StackOverflowError} or any other, that it is a
   * defect and {@code --verbose} shows where.
   */
  public static String describeInternal(Throwable t) {
    String message = t.getMessage() == null || t.getMessage().isBlank() ? t.getClass().getSimpleName()
        : t.getClass().getSimpleName() + ": " + t.getMessage().strip().replaceAll("\\s*\\R\\s*", " ");
    if (t instanceof OutOfMemoryError) {
      return message + "; the JVM ran out of memory: lower --workers, --partition-size or --max-record-size, or"
          + " give it a larger heap (PYWORKERS_JAVA_OPTS=-Xmx2g with bin/pyworkers, else java -Xmx2g)";
    }
    return message + "; this is a defect of pyworkers: please report it with the output of --verbose";
  }

  private static RunFailure python(PythonException e, String where) {
    String type = e.pythonType();
    if (is(type, "UdfRecordError")) return new RunFailure(ExitCode.UDF_ERROR, e.pythonMessage(), e);
    if (is(type, "MalformedRecordError")) return new RunFailure(ExitCode.BAD_INPUT, e.pythonMessage(), e);
    if (is(type, "UdfLoadError")) return new RunFailure(ExitCode.BAD_ARGUMENT, "bad --udf: " + e.pythonMessage(), e);
    if (is(type, "JobArgumentError")) return new RunFailure(ExitCode.BAD_ARGUMENT, e.pythonMessage(), e);
    // A SIGINT the worker received: pyworkers.jobs reports a KeyboardInterrupt that FUNC raised itself as a UDF error.
    if (is(type, "KeyboardInterrupt")) {
      return new RunFailure(ExitCode.INTERRUPTED, "interrupted: a Python worker got SIGINT" + where, e);
    }
    return new RunFailure(ExitCode.UDF_ERROR, "Python raised " + type + where + ": " + e.pythonMessage() + "\n"
        + e.traceback().strip(), e);
  }

  private static RunFailure timeout(TaskIdleTimeoutException e, Partition partition) {
    String where = partition == null ? "while loading FUNC (before any input)"
        : "on partition " + partition.index() + " (input " + partition.lines() + ")";
    String trace = e.traceback().isEmpty() ? "no traceback could be had:\n" + e.getMessage()
        : "FUNC's last traceback (main thread, most recent call first):\n" + FuncTraceback.of(e.traceback());
    return new RunFailure(ExitCode.TASK_TIMEOUT, "Python worker pid " + e.pid() + " made no progress " + where
        + " for " + seconds(e.timeout()) + " (--task-timeout) and was killed; no output was written; " + trace
        + "\n(raise --task-timeout if FUNC is just slow, or 0 to turn it off)", e);
  }

  private static String seconds(java.time.Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  /** Matches {@code UdfLoadError} as well as {@code pyworkers.jobs.UdfLoadError}. */
  private static boolean is(String type, String name) {
    return type != null && (type.equals(name) || type.endsWith("." + name));
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
