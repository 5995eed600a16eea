package dev.pyworkers.spark.internal;

import dev.pyworkers.TaskContext;
import dev.pyworkers.TaskResults;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Properties;
import org.apache.spark.SparkFiles;
import org.apache.spark.util.TaskCompletionListener;
import org.apache.spark.util.TaskFailureListener;
import org.apache.spark.util.TaskInterruptListener;

/**
 * One Spark task as pyworkers sees it: a {@link TaskContext} with the task's stage, partition, attempt, task attempt
 * id, cpus and local properties, whose life follows Spark's. Spark's interrupt (a killed or cancelled task, a
 * speculative copy that lost) interrupts it, which kills the task's worker within the runner's kill timeout; Spark's
 * failure listener does the same; its completion listener closes the results (an unfinished task's worker is
 * killed, a finished one goes back to the pool) and completes the context. Stateless.
 */
public final class SparkTasks {
  private SparkTasks() {}

  /** The pyworkers context of the running Spark task, wired to its listeners. */
  public static TaskContext context(org.apache.spark.TaskContext spark) {
    Map<String, String> props = new HashMap<>();
    Properties p = spark.getLocalProperties();
    if (p != null) {
      for (String k : p.stringPropertyNames()) props.put(k, p.getProperty(k));
    }
    TaskContext ctx = TaskContext.builder()
        .stageId(spark.stageId())
        .partitionId(spark.partitionId())
        .attemptNumber(spark.attemptNumber())
        .taskAttemptId(spark.taskAttemptId())
        .cpus(spark.cpus())
        .localProperties(props)
        .build();
    spark.addTaskInterruptListener(
        (TaskInterruptListener) (tc, reason) -> ctx.interrupt("the Spark task was killed: " + reason));
    spark.addTaskFailureListener(
        (TaskFailureListener) (tc, error) -> ctx.interrupt("the Spark task failed: " + error));
    return ctx;
  }

  /**
   * Starts the Spark task's pyworkers task on the leased runner over {@code input} (pulled by the writer as {@link
   * #pulledByWriter} says), and has its results, then {@code more}, then the lease closed when the Spark task
   * completes. If the task cannot start, the lease and {@code more} are closed at once and the error thrown.
   */
  public static TaskResults<Object> start(org.apache.spark.TaskContext spark, TaskContext ctx,
      ExecutorWorkers.Lease lease, Iterator<?> input, AutoCloseable... more) {
    TaskResults<Object> results;
    try {
      results = lease.runner().compute(pulledByWriter(spark, input), spark.partitionId(), ctx);
    } catch (RuntimeException e) {
      lease.close();
      for (AutoCloseable c : more) {
        try {
          c.close();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
    AutoCloseable[] all = java.util.Arrays.copyOf(more, more.length + 1);
    all[more.length] = lease;
    closeOnCompletion(spark, ctx, results, all);
    return results;
  }

  /**
   * {@code input} as the task's input writer pulls it: on the writer's own thread, where Spark's operators upstream
   * (an aggregation's hash map, a sort, a shuffle read) find no task of their own and fail on a null {@code
   * TaskContext.get()}. Each call makes the Spark task that thread's task first, as PySpark's writer thread does,
   * and the end of the input takes it off again.
   */
  public static <T> Iterator<T> pulledByWriter(org.apache.spark.TaskContext spark, Iterator<T> input) {
    return new Iterator<>() {
      private Thread setOn; // the thread this made the task's, or null

      private void enter() {
        if (org.apache.spark.TaskContext.get() == null) {
          org.apache.spark.TaskContext$.MODULE$.setTaskContext(spark);
          setOn = Thread.currentThread();
        }
      }

      @Override
      public boolean hasNext() {
        enter();
        boolean more = input.hasNext();
        if (!more && setOn == Thread.currentThread()) {
          org.apache.spark.TaskContext$.MODULE$.unset();
          setOn = null;
        }
        return more;
      }

      @Override
      public T next() {
        enter();
        return input.next();
      }
    };
  }

  /**
   * Closes {@code results}, then {@code more} in order, and completes {@code ctx} when the Spark task completes,
   * however it ends. Closing the results first stops the task's worker and its input writer (bounded by the kill
   * timeout), so what the writer was reading from ({@code more}) is not freed under it.
   */
  public static void closeOnCompletion(org.apache.spark.TaskContext spark, TaskContext ctx, TaskResults<?> results,
      AutoCloseable... more) {
    spark.addTaskCompletionListener((TaskCompletionListener) tc -> {
      RuntimeException failed = null;
      try {
        results.close();
      } catch (RuntimeException e) {
        failed = e;
      }
      for (AutoCloseable c : more) {
        try {
          c.close();
        } catch (Exception e) {
          if (failed == null) failed = new IllegalStateException("closing " + c + " failed: " + e, e);
          else failed.addSuppressed(e);
        }
      }
      ctx.markCompleted();
      if (failed != null) throw failed;
    });
  }

  /**
   * The interpreter to start: {@code executable} as given when it is a bare name (found on PATH) or absolute; a
   * relative path ({@code environment/bin/python}, an archive shipped with {@code spark.archives}) is resolved in
   * the task's working folder, where cluster managers unpack archives, else in Spark's files folder, where local
   * mode unpacks them. A relative path found in neither fails naming both.
   */
  public static String resolvePython(String executable) {
    if (!executable.contains("/")) return executable;
    Path p = Path.of(executable);
    if (p.isAbsolute()) return executable;
    Path inWorkDir = Path.of("").toAbsolutePath().resolve(p);
    if (Files.isExecutable(inWorkDir)) return inWorkDir.toString();
    Path inFiles = Path.of(SparkFiles.getRootDirectory()).toAbsolutePath().resolve(p);
    if (Files.isExecutable(inFiles)) return inFiles.toString();
    throw new IllegalArgumentException("the Python executable '" + executable + "' is not in the task's working"
        + " folder (" + inWorkDir + ") nor in Spark's files folder (" + inFiles + "); ship the environment with"
        + " spark.archives (for example env.tar.gz#environment, then environment/bin/python), or give an absolute"
        + " path that exists on every node");
  }
}
