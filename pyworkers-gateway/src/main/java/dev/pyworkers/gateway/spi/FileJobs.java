package dev.pyworkers.gateway.spi;

import java.util.List;

/**
 * How the gateway runs {@code pyworkers run} for the driver's {@code Gateway.run_file}: the CLI module provides the
 * one implementation ({@code META-INF/services/dev.pyworkers.gateway.spi.FileJobs}), so that the gateway does not
 * depend on the CLI (which depends on the gateway, to ship it in its jar). Implementations are thread-safe.
 */
public interface FileJobs {
  /**
   * Starts one run with {@code args}, the options of {@code pyworkers run} as on its command line. Returns at once;
   * arguments that do not parse or check give a job that has already ended with exit code 2 and the message.
   */
  FileJob start(List<String> args);

  /** One run. Thread-safe. */
  interface FileJob {
    /** Waits up to {@code millis} for the run to end: its exit code (README's table), or -1 while it runs. */
    int waitFor(long millis) throws InterruptedException;

    /** The run's summary line when it succeeded, else its error message; empty while it runs. */
    String message();

    /** Records written to OUT once the run succeeded; -1 before, or after a failure. */
    long records();

    /** Stops the run: its workers are killed and no OUT is left (the CLI's interrupt). Idempotent. */
    void cancel();
  }
}
