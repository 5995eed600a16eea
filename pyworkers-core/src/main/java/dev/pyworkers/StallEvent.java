package dev.pyworkers;

import java.time.Duration;
import java.util.Objects;

/**
 * A task's worker took no input and sent no output for the runner's stall-warning interval: handed to the listener
 * given to {@link PythonRunner.Builder#stallWarning(Duration, java.util.function.Consumer)}, once per interval while
 * the stall lasts. Immutable.
 *
 * @param pid the worker's process id
 * @param partition the partition index of the stalled task
 * @param stalledFor how long the worker has made no progress
 * @param state the worker process's state when the report was made
 * @param traceback the Python stack of the worker's main thread, most recent call first; empty when unavailable
 * @param tracebackUnavailable why {@code traceback} is empty ("the process is stopped ..."); empty when it is not
 * @param reports how many reports this stall has had, this one included (1 for the first)
 */
public record StallEvent(long pid, int partition, Duration stalledFor, ProcessState state, String traceback,
    String tracebackUnavailable, int reports) {

  public StallEvent {
    Objects.requireNonNull(stalledFor, "stalledFor");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(traceback, "traceback");
    Objects.requireNonNull(tracebackUnavailable, "tracebackUnavailable");
  }

  /** Whether the main thread's traceback could be had. */
  public boolean hasTraceback() {
    return !traceback.isEmpty();
  }

  /**
   * One report: "Python worker pid 4242 has taken no input and sent no output for 60.0 s while running partition 3
   * (report 1); process state: running; main thread traceback (most recent call first): ...".
   */
  public String describe() {
    StringBuilder sb = new StringBuilder("Python worker pid ").append(pid)
        .append(" has taken no input and sent no output for ").append(seconds(stalledFor))
        .append(" while running partition ").append(partition).append(" (report ").append(reports)
        .append("); process state: ").append(state.description()).append("; ");
    if (hasTraceback()) sb.append("main thread traceback (most recent call first):\n").append(traceback);
    else sb.append("no traceback: ").append(tracebackUnavailable);
    return sb.toString();
  }

  /** "2.0 s", "61.5 s": the stall length as users read it. */
  static String seconds(Duration d) {
    return String.format(java.util.Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
  }

  /** The scheduling state of a worker process, as the operating system reports it. */
  public enum ProcessState {
    /** On a CPU or ready to run (an endless loop looks like this). */
    RUNNING("running"),
    /** Waiting for an event it can be woken from (a sleep, a socket read, a lock). */
    SLEEPING("sleeping"),
    /** Waiting inside the kernel without being interruptible (disk or network file system I/O). */
    UNINTERRUPTIBLE("uninterruptible sleep"),
    /** Stopped by SIGSTOP, a terminal signal or a debugger; it cannot run until continued. */
    STOPPED("stopped"),
    /** Exited and not yet reaped. */
    ZOMBIE("zombie (exited, not yet reaped)"),
    /** No such process any more. */
    GONE("gone"),
    /** The state could not be read on this system. */
    UNKNOWN("unknown");

    private final String description;

    ProcessState(String description) {
      this.description = description;
    }

    /** Lower-case words for messages: "running", "uninterruptible sleep". */
    public String description() {
      return description;
    }
  }
}
