package dev.pyworkers.events;

import dev.pyworkers.PythonEnvironment;
import java.time.Duration;
import java.util.Objects;

/**
 * An idle worker was taken from the pool. Immutable.
 *
 * @param environment the environment of its factory
 * @param pid the worker's process id
 * @param task which task of this worker is starting, counting from 1 (so at least 2 here)
 * @param idleFor how long it waited in the pool
 * @param taskId the {@link TaskStarted#taskId()} of the runner task that took it, or 0 for a direct
 *     {@link dev.pyworkers.WorkerFactory#create()}
 */
public record WorkerReused(PythonEnvironment environment, long pid, int task, Duration idleFor, long taskId) {

  public WorkerReused {
    Objects.requireNonNull(environment, "environment");
    Objects.requireNonNull(idleFor, "idleFor");
  }
}
