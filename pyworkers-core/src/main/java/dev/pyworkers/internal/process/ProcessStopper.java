package dev.pyworkers.internal.process;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The one place that ends a child process: ask politely (close its stdin, its lifeline), wait up to a grace period,
 * then SIGKILL it with every process below it and wait for the exit. Signals only escalate. Stateless and
 * thread-safe.
 */
public final class ProcessStopper {
  /** Bound on the rounds of {@link #killTree}: each round kills what a fresh look below the root finds. */
  private static final int KILL_ROUNDS = 10;

  private ProcessStopper() {}

  /** Returns true when the process ended within the grace period without being killed. */
  public static boolean stop(Process process, Duration grace) {
    try {
      process.getOutputStream().close();
    } catch (java.io.IOException e) {
      // its stdin is already closed: the process is exiting or gone
    }
    return awaitOrKill(process, grace);
  }

  /**
   * The second half of {@link #stop}, for a caller that already asked the process to end (closed its stdin under its
   * own lock): waits up to {@code grace}, then SIGKILLs it with every process below it and waits up to 5 s more.
   * Returns true when the process ended within the grace period without being killed.
   */
  public static boolean awaitOrKill(Process process, Duration grace) {
    boolean graceful = waitFor(process, grace.toMillis());
    if (!graceful) {
      killTree(process);
      waitFor(process, 5_000);
    }
    return graceful;
  }

  /**
   * SIGKILLs {@code root} and every process below it, without waiting: first its descendants, in rounds while
   * {@code root} lives (a pyworkers worker or daemon is a child subreaper on Linux, so a process orphaned meanwhile
   * is re-parented to it and found by the next round; at most 10 rounds), then {@code root} itself. A process that
   * is forked by {@code root} after the last round can escape; docs/configuration.md ("Process lifetime") says what
   * is guaranteed. Returns how many descendants were signalled.
   */
  public static int killTree(ProcessHandle root) {
    int descendants = killDescendants(root);
    root.destroyForcibly();
    return descendants;
  }

  /** {@link #killTree(ProcessHandle)} for a child of this JVM, whose pipes to the JVM are closed as it is killed. */
  public static int killTree(Process process) {
    int descendants = killDescendants(process.toHandle());
    process.destroyForcibly();
    return descendants;
  }

  private static int killDescendants(ProcessHandle root) {
    Set<Long> signalled = new HashSet<>();
    for (int round = 0; round < KILL_ROUNDS && root.isAlive(); round++) {
      List<ProcessHandle> fresh = root.descendants().filter(h -> !signalled.contains(h.pid())).toList();
      if (fresh.isEmpty()) break;
      for (ProcessHandle h : fresh) {
        h.destroyForcibly(); // checks the start time, so a pid reused meanwhile is not hit
        signalled.add(h.pid());
      }
    }
    return signalled.size();
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
