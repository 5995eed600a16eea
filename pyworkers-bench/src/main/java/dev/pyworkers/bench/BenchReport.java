package dev.pyworkers.bench;

import java.util.List;

/** What every benchmark prints: a human table, then one JSON summary line. Implementations are immutable. */
public interface BenchReport {
  /** The table, one line each, in print order. */
  List<String> tableLines();

  /** One JSON object on one line; printed last with {@code --json}. */
  String toJson();
}
