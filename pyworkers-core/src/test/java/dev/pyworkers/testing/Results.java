package dev.pyworkers.testing;

import dev.pyworkers.TaskResults;
import java.util.ArrayList;
import java.util.List;

/** Reads a task's results to the end and closes them. */
public final class Results {
  private Results() {}

  public static List<Object> drain(TaskResults<Object> out) {
    List<Object> all = new ArrayList<>();
    try (out) {
      out.forEachRemaining(all::add);
    }
    return all;
  }
}
