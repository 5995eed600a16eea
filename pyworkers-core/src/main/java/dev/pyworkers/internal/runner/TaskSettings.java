package dev.pyworkers.internal.runner;

import java.io.DataOutputStream;
import java.io.IOException;

/**
 * The typed task settings of the task header (docs/protocol.md 5.1): what the worker applies per task and what is not
 * the user's environment, so that runners differing only in these share a factory. The task's cpus are not here: they
 * are already a field of the header's task context, and the worker applies them too. Immutable.
 *
 * @param memoryLimitMb the worker's soft {@code RLIMIT_AS} during the task, in MiB; 0: none
 */
public record TaskSettings(int memoryLimitMb) {
  /** No setting: what a runner built without any sends. */
  public static final TaskSettings NONE = new TaskSettings(0);

  /** The key ids of the section; each key fixes its value's type. Never reuse an id. */
  enum Key {
    /** {@code int}, MiB, 1..2^31-1. */
    MEMORY_LIMIT_MB(1);

    final int id;

    Key(int id) { this.id = id; }
  }

  public TaskSettings {
    if (memoryLimitMb < 0) {
      throw new IllegalArgumentException("memoryLimitMb must be >= 0 (0: none), got " + memoryLimitMb);
    }
  }

  /** The section: {@code int} n, then n × ({@code int} key, value); a setting at its default is left out. */
  void write(DataOutputStream out) throws IOException {
    out.writeInt(memoryLimitMb > 0 ? 1 : 0);
    if (memoryLimitMb > 0) {
      out.writeInt(Key.MEMORY_LIMIT_MB.id);
      out.writeInt(memoryLimitMb);
    }
  }
}
