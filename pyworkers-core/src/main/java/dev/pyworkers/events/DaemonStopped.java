package dev.pyworkers.events;

import dev.pyworkers.PythonEnvironment;
import java.time.Duration;
import java.util.Objects;

/**
 * A daemon was stopped. Immutable.
 *
 * @param environment the environment whose factory it served
 * @param pid the daemon's process id
 * @param reason why
 * @param detail the error that made it unreachable; empty when it was closed
 * @param uptime from its hello until the stop
 */
public record DaemonStopped(PythonEnvironment environment, long pid, Reason reason, String detail, Duration uptime) {

  public DaemonStopped {
    Objects.requireNonNull(environment, "environment");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(detail, "detail");
    Objects.requireNonNull(uptime, "uptime");
  }

  /** Why a daemon stopped. */
  public enum Reason {
    /** Its factory or registry was closed. */
    CLOSED,
    /** A fork through it failed (it died, or stopped answering); it is replaced by a restart. */
    UNREACHABLE
  }
}
