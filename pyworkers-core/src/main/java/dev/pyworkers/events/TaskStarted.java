package dev.pyworkers.events;

import dev.pyworkers.EvalType;
import dev.pyworkers.PythonEnvironment;
import dev.pyworkers.TaskContext;
import java.util.Objects;

/**
 * A runner began a task, before asking for its worker. Immutable (the context it names is the caller's).
 *
 * @param taskId unique in the registry, counting from 1: pairs this event with its end and with the worker events
 *     of its acquisition
 * @param environment the environment whose factory serves it
 * @param evalType the runner's eval type
 * @param partition the partition index given to {@code compute}
 * @param context the task's context (stage, attempt, cpus)
 */
public record TaskStarted(long taskId, PythonEnvironment environment, EvalType evalType, int partition,
    TaskContext context) {

  public TaskStarted {
    Objects.requireNonNull(environment, "environment");
    Objects.requireNonNull(evalType, "evalType");
    Objects.requireNonNull(context, "context");
  }
}
