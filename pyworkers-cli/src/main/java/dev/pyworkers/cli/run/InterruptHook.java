package dev.pyworkers.cli.run;

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The JVM shutdown hook of a run ({@code pyworkers-run-interrupt}): on Ctrl-C (SIGINT) or SIGTERM it stops the run
 * (kills the workers, deletes the temporary output), prints one line and ends the JVM with {@link
 * ExitCode#INTERRUPTED}. Removed when the run ends, so a normal exit never triggers it. Thread-safe.
 */
public final class InterruptHook {
  private final Thread thread;
  /** Once false, always false: the hook fired, or was removed before any shutdown began. */
  private final AtomicBoolean armed = new AtomicBoolean(true);

  private InterruptHook(RunJob job, PrintStream err) {
    this.thread = new Thread(() -> fire(job, err), "pyworkers-run-interrupt");
  }

  /** Registers the hook for {@code job}; {@code err} gets the one-line notice. */
  public static InterruptHook install(RunJob job, PrintStream err) {
    InterruptHook hook = new InterruptHook(job, err);
    Runtime.getRuntime().addShutdownHook(hook.thread);
    return hook;
  }

  /**
   * Unregisters the hook when the run has ended. If the JVM is already shutting down (a signal came in just now),
   * the hook stays armed: it runs, reports what became of the output, and exits with the interruption code.
   */
  public void remove() {
    try {
      Runtime.getRuntime().removeShutdownHook(thread);
      armed.set(false);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: the hook runs (or ran) and decides the exit code
    }
  }

  private void fire(RunJob job, PrintStream err) {
    if (!armed.compareAndSet(true, false)) return;
    String outcome = job.interrupt(500);
    err.println();
    err.println("pyworkers run: interrupted; the workers were stopped and " + outcome);
    err.flush();
    Runtime.getRuntime().halt(ExitCode.INTERRUPTED.code());
  }
}
