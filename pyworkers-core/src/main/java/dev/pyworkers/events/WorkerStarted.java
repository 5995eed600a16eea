package dev.pyworkers.events;

import dev.pyworkers.PythonEnvironment;
import dev.pyworkers.WorkerMode;
import java.time.Duration;
import java.util.Objects;

/**
 * A new worker is ready for its first task. Immutable.
 *
 * @param environment the environment of its factory
 * @param pid the worker's process id
 * @param mode {@link WorkerMode#DAEMON} when a daemon forked it, {@link WorkerMode#SIMPLE} when it was spawned
 * @param daemonPid the daemon that forked it, or -1 when spawned
 * @param startTime from asking for it until its handshake passed (a daemon start it waited for included)
 * @param taskId the {@link TaskStarted#taskId()} of the runner task that asked for it, or 0 when a program called
 *     {@link dev.pyworkers.WorkerFactory#create()} itself
 */
public record WorkerStarted(PythonEnvironment environment, long pid, WorkerMode mode, long daemonPid,
    Duration startTime, long taskId) {

  public WorkerStarted {
    Objects.requireNonNull(environment, "environment");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(startTime, "startTime");
  }

  /** Whether a daemon forked it (rather than a spawn of its own process). */
  public boolean forked() {
    return mode == WorkerMode.DAEMON;
  }
}
