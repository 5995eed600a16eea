package dev.pyworkers.cli.run;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * How {@code pyworkers run} reads its input, and what FUNC receives per record. The names are the values of
 * {@code --format} and of the {@code fmt} argument of {@code pyworkers.jobs.make_job} (and of {@code pyworkers.jobs_pandas}). Immutable.
 */
public enum InputFormat {
  /** One JSON value per line; FUNC gets the parsed value. Blank lines are skipped. */
  JSONL("jsonl", List.of(".jsonl", ".ndjson", ".jsonlines")),
  /** A header line, then one record per line (quoted fields may span lines); FUNC gets a dict column -> string. */
  CSV("csv", List.of(".csv")),
  /** One record per line; FUNC gets the line as a str, without its line ending. */
  TEXT("text", List.of(".txt", ".text", ".log")),
  /** An Arrow IPC file (Feather version 2); {@code --pandas} only: FUNC gets a DataFrame per record batch. */
  ARROW("arrow", List.of(".arrow", ".feather"));

  private final String pythonName;
  @SuppressWarnings("ImmutableEnumChecker") // always a List.of(...), unmodifiable
  private final List<String> extensions;

  InputFormat(String pythonName, List<String> extensions) {
    this.pythonName = pythonName;
    this.extensions = extensions;
  }

  /** The name {@code pyworkers.jobs} knows the format by. */
  public String pythonName() {
    return pythonName;
  }

  /** File name endings that select this format when {@code --format} is not given. */
  public List<String> extensions() {
    return extensions;
  }

  /** The format a file name's extension implies (case-insensitive), if any. */
  public static Optional<InputFormat> fromFileName(Path file) {
    Path name = file.getFileName();
    if (name == null) return Optional.empty();
    String lower = name.toString().toLowerCase(Locale.ROOT);
    for (InputFormat f : values()) {
      for (String ext : f.extensions) {
        if (lower.endsWith(ext)) return Optional.of(f);
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return pythonName;
  }
}
