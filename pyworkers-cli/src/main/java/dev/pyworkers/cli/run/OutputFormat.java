package dev.pyworkers.cli.run;

import java.nio.file.Path;
import java.util.Locale;

/**
 * How {@code pyworkers run --pandas} writes OUT, chosen by its extension: {@code .arrow} and {@code .feather} are an
 * Arrow IPC file, anything else JSON lines. The names are the {@code out_fmt} argument of {@code
 * pyworkers.jobs_pandas.make_pandas_job}. Immutable.
 */
public enum OutputFormat {
  /** One JSON object per result row. */
  JSONL("jsonl"),
  /** An Arrow IPC file (Feather version 2), one record batch per result (or per chunk of one). */
  ARROW("arrow");

  private final String pythonName;

  OutputFormat(String pythonName) {
    this.pythonName = pythonName;
  }

  public String pythonName() {
    return pythonName;
  }

  /** ARROW for a name ending in .arrow or .feather (any case), else JSONL. */
  public static OutputFormat fromFileName(Path file) {
    Path name = file.getFileName();
    String lower = name == null ? "" : name.toString().toLowerCase(Locale.ROOT);
    return lower.endsWith(".arrow") || lower.endsWith(".feather") ? ARROW : JSONL;
  }

  @Override
  public String toString() {
    return pythonName;
  }
}
