package dev.pyworkers.bench;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * Checks that a benchmark case left no process behind once its registry is closed: neither a worker it was handed
 * nor any descendant of this JVM (daemons, simple workers). Forked workers are listed by pid because a daemon's
 * children are no longer this JVM's descendants once the daemon is gone. Stateless and thread-safe.
 */
final class ProcessLeakCheck {
  /** How long killed processes get to disappear: a kill is asynchronous and a zombie lives until it is reaped. */
  static final Duration GRACE = Duration.ofSeconds(5);

  private ProcessLeakCheck() {}

  /** Waits at most {@link #GRACE} for the processes to end; throws naming the case and the pids that did not. */
  static void assertNoneAlive(String benchmarkCase, Collection<Long> workerPids) {
    List<ProcessHandle> candidates = Stream.concat(
            workerPids.stream().map(ProcessHandle::of).flatMap(Optional::stream),
            ProcessHandle.current().descendants())
        .filter(ProcessHandle::isAlive)
        .distinct()
        .toList();
    long deadline = System.nanoTime() + GRACE.toNanos();
    for (ProcessHandle h : candidates) {
      try {
        h.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        // still alive; reported below with the others
      } catch (ExecutionException e) {
        throw new IllegalStateException("cannot wait for pid " + h.pid() + " to exit: " + e.getCause(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the " + benchmarkCase + " processes to exit", e);
      }
    }
    List<Long> alive = candidates.stream().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).toList();
    if (!alive.isEmpty()) {
      throw new IllegalStateException("the " + benchmarkCase + " case closed its WorkerRegistry but " + alive.size()
          + " process(es) it started are still alive " + GRACE.toSeconds() + " s later: pids "
          + alive.subList(0, Math.min(alive.size(), 10)) + (alive.size() > 10 ? " ..." : "")
          + "; pyworkers-core did not stop them");
    }
  }
}
