package dev.pyworkers.events;

import dev.pyworkers.PythonEnvironment;
import java.util.Objects;

/**
 * A worker went back to the idle pool after a task. Immutable.
 *
 * @param environment the environment of its factory
 * @param pid the worker's process id
 * @param tasksServed how many tasks it has run so far
 * @param idleWorkers how many workers of this factory are idle now, this one included
 */
public record WorkerReleased(PythonEnvironment environment, long pid, int tasksServed, int idleWorkers) {

  public WorkerReleased {
    Objects.requireNonNull(environment, "environment");
  }
}
