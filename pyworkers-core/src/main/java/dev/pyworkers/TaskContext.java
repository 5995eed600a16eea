package dev.pyworkers;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One task's identity and control: partition id, attempt, cpus, resources and local properties (all visible to
 * Python as {@code pyworkers.context.TaskContext.get()}), plus interruption and completion listeners. Thread-safe:
 * any thread may {@link #interrupt} a task while another runs it.
 */
public final class TaskContext {
  private final int stageId;
  private final int partitionId;
  private final int attemptNumber;
  private final long taskAttemptId;
  private final int cpus;
  private final Map<String, List<String>> resources;
  private final Map<String, String> localProperties;
  private final List<Consumer<TaskContext>> completionListeners = new ArrayList<>();
  private final List<Consumer<String>> interruptListeners = new ArrayList<>();
  /** Guarded by {@code this}: once set, never cleared. */
  private String interruptReason;
  /** Guarded by {@code this}: once true, always true. */
  private boolean completed;

  private TaskContext(Builder b) {
    this.stageId = b.stageId;
    this.partitionId = b.partitionId;
    this.attemptNumber = b.attemptNumber;
    this.taskAttemptId = b.taskAttemptId;
    this.cpus = b.cpus;
    this.resources = Map.copyOf(b.resources);
    this.localProperties = Map.copyOf(b.localProperties);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A context for partition {@code partitionId} with every other field at its default. */
  public static TaskContext of(int partitionId) {
    return builder().partitionId(partitionId).build();
  }

  public int stageId() { return stageId; }
  public int partitionId() { return partitionId; }
  public int attemptNumber() { return attemptNumber; }
  public long taskAttemptId() { return taskAttemptId; }
  public int cpus() { return cpus; }
  public Map<String, List<String>> resources() { return resources; }
  public Map<String, String> localProperties() { return localProperties; }

  /** Asks the running task to stop: its worker is killed after the runner's kill timeout unless it finishes first. */
  public void interrupt(String reason) {
    List<Consumer<String>> listeners;
    synchronized (this) {
      if (interruptReason != null || completed) return;
      interruptReason = reason == null ? "interrupted" : reason;
      listeners = new ArrayList<>(interruptListeners);
    }
    for (Consumer<String> l : listeners) l.accept(interruptReason);
  }

  public synchronized boolean isInterrupted() {
    return interruptReason != null;
  }

  public synchronized String interruptReason() {
    return interruptReason;
  }

  public synchronized boolean isCompleted() {
    return completed;
  }

  /** Runs {@code listener} when the task completes (at once if it already has). */
  public void addCompletionListener(Consumer<TaskContext> listener) {
    synchronized (this) {
      if (!completed) {
        completionListeners.add(listener);
        return;
      }
    }
    listener.accept(this);
  }

  /** For runners: called with the reason when {@link #interrupt} is called (at once if already interrupted). */
  public void addInterruptListener(Consumer<String> listener) {
    String reason;
    synchronized (this) {
      reason = interruptReason;
      if (reason == null) {
        interruptListeners.add(listener);
        return;
      }
    }
    listener.accept(reason);
  }

  /** Marks the task completed and runs the completion listeners once. Idempotent. */
  public void markCompleted() {
    List<Consumer<TaskContext>> listeners;
    synchronized (this) {
      if (completed) return;
      completed = true;
      listeners = new ArrayList<>(completionListeners);
      completionListeners.clear();
      interruptListeners.clear();
    }
    for (Consumer<TaskContext> l : listeners) l.accept(this);
  }

  @Override
  public String toString() {
    return "TaskContext{stage=" + stageId + ", partition=" + partitionId + ", attempt=" + attemptNumber
        + ", taskAttemptId=" + taskAttemptId + ", cpus=" + cpus + "}";
  }

  /** Collects a task context's fields. Not thread-safe. */
  public static final class Builder {
    private int stageId;
    private int partitionId;
    private int attemptNumber;
    private long taskAttemptId;
    private int cpus = 1;
    private Map<String, List<String>> resources = Map.of();
    private Map<String, String> localProperties = Map.of();

    public Builder stageId(int v) { stageId = v; return this; }
    public Builder partitionId(int v) { partitionId = v; return this; }
    public Builder attemptNumber(int v) { attemptNumber = v; return this; }
    public Builder taskAttemptId(long v) { taskAttemptId = v; return this; }
    /**
     * CPUs of the task, 1..1024; the worker also sets OMP_NUM_THREADS, MKL_NUM_THREADS and OPENBLAS_NUM_THREADS to it
     * for the task (unless the user's environment sets them) and threadpoolctl's limits where it is installed.
     */
    public Builder cpus(int v) { cpus = v; return this; }
    public Builder resources(Map<String, List<String>> v) { resources = v; return this; }
    public Builder localProperties(Map<String, String> v) { localProperties = v; return this; }

    public TaskContext build() {
      if (cpus < 1 || cpus > 1024) throw new IllegalArgumentException("cpus must be between 1 and 1024, got " + cpus);
      if (partitionId < 0) throw new IllegalArgumentException("partitionId must be >= 0, got " + partitionId);
      return new TaskContext(this);
    }
  }
}
