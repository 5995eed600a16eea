package dev.pyworkers.events;

import dev.pyworkers.PythonEnvironment;
import java.time.Duration;
import java.util.Objects;

/**
 * A worker process was killed (with every process its code started) and its socket closed. Immutable.
 *
 * @param environment the environment of its factory
 * @param pid the worker's process id
 * @param reason why, in one word
 * @param detail the words behind it: the task's error for {@link Reason#KILLED}, the limit for an eviction or a
 *     recycle; may be empty
 * @param tasksServed how many tasks it ran
 * @param lifetime from its start until its end
 */
public record WorkerEnded(PythonEnvironment environment, long pid, Reason reason, String detail, int tasksServed,
    Duration lifetime) {

  public WorkerEnded {
    Objects.requireNonNull(environment, "environment");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(detail, "detail");
    Objects.requireNonNull(lifetime, "lifetime");
  }

  /** Why a worker ended. */
  public enum Reason {
    /** Its task ended and it is not pooled: simple mode, or {@code reuseWorkers(false)}. */
    NOT_REUSED,
    /** It ran {@code maxTasksPerWorker} tasks. */
    RECYCLED,
    /** It sat in the idle pool longer than {@code idleTimeout}. */
    EVICTED_IDLE,
    /** A newer idle worker pushed it out of a full pool ({@code idlePoolSize}). */
    EVICTED_POOL_FULL,
    /** When taken from the pool it was dead, or had unread bytes on its socket. */
    FOUND_DEAD,
    /** Its task failed, was cancelled, timed out or had its results closed early, so it was not trusted again. */
    KILLED,
    /** The program called {@link dev.pyworkers.WorkerFactory#stop} on it. */
    STOPPED,
    /** Its factory or registry was closed. */
    CLOSED
  }
}
