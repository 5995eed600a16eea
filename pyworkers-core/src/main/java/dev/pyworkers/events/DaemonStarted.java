package dev.pyworkers.events;

import dev.pyworkers.PythonEnvironment;
import java.time.Duration;
import java.util.Objects;

/**
 * A fork-server daemon is up. Immutable.
 *
 * @param environment the environment whose factory started it
 * @param pid the daemon's process id
 * @param pythonVersion the interpreter's version, as the daemon reported it ("3.11.9")
 * @param startTime from the spawn of the process to its authenticated hello
 * @param replacedPid the pid of the daemon this one replaces, or -1 for a factory's first daemon
 * @param restartReason why the one it replaces was given up; empty for a first daemon
 */
public record DaemonStarted(PythonEnvironment environment, long pid, String pythonVersion, Duration startTime,
    long replacedPid, String restartReason) {

  public DaemonStarted {
    Objects.requireNonNull(environment, "environment");
    Objects.requireNonNull(pythonVersion, "pythonVersion");
    Objects.requireNonNull(startTime, "startTime");
    Objects.requireNonNull(restartReason, "restartReason");
  }

  /** Whether this daemon replaces one that could not be reached. */
  public boolean isRestart() {
    return replacedPid >= 0;
  }
}
