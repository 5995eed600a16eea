package dev.pyworkers.internal.process;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The one place that ends a child process: ask politely (close its stdin, its lifeline), wait up to a grace period,
 * then SIGKILL and wait for the exit. Signals only escalate. Stateless and thread-safe.
 */
public final class ProcessStopper {
  private ProcessStopper() {}

  /** Returns true when the process ended within the grace period without being killed. */
  public static boolean stop(Process process, Duration grace) {
    try {
      process.getOutputStream().close();
    } catch (java.io.IOException e) {
      // its stdin is already closed: the process is exiting or gone
    }
    boolean graceful = waitFor(process, grace.toMillis());
    if (!graceful) {
      process.destroyForcibly();
      waitFor(process, 5_000);
    }
    return graceful;
  }

  private static boolean waitFor(Process process, long millis) {
    try {
      return process.waitFor(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      return false;
    }
  }

  /** "exit code 1" or "signal 9 (SIGKILL)" from a Java exit value (128+n is a signal on POSIX). */
  public static String describeExit(int exitValue) {
    if (exitValue > 128 && exitValue < 160) {
      int sig = exitValue - 128;
      return "signal " + sig + signalName(sig);
    }
    return "exit code " + exitValue;
  }

  private static String signalName(int sig) {
    return switch (sig) {
      case 6 -> " (SIGABRT)";
      case 9 -> " (SIGKILL)";
      case 11 -> " (SIGSEGV)";
      case 15 -> " (SIGTERM)";
      default -> "";
    };
  }
}
