package dev.pyworkers.cli;

import dev.pyworkers.cli.run.InputFormat;
import dev.pyworkers.cli.run.OutputFormat;
import dev.pyworkers.cli.run.RecordRules;
import dev.pyworkers.cli.run.RunSettings;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * Checks the options of {@code pyworkers run} before any Python process starts, and turns them into {@link
 * RunSettings}. Every problem is a {@link ParameterException} (exit code 2) naming the option, the value and the fix.
 * Whether FUNC loads is checked later, in a worker. Not thread-safe: one command line per instance.
 */
final class RunArguments {
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern SIZE = Pattern.compile("(\\d+)([kmg]?)(i?b)?");
  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)");
  private static final Duration MAX_DURATION = Duration.ofDays(1);

  private final CommandLine cmd;

  RunArguments(CommandLine cmd) {
    this.cmd = cmd;
  }

  RunSettings settings(RunCommand c) {
    int colon = c.udf.lastIndexOf(':');
    if (colon <= 0 || colon == c.udf.length() - 1) {
      throw bad("--udf '" + c.udf + "' is not FILE.py:FUNC; give the Python file and the function, e.g. --udf"
          + " examples/word_count.py:count_words");
    }
    Path udfFile = Path.of(c.udf.substring(0, colon));
    String function = c.udf.substring(colon + 1);
    if (!IDENTIFIER.matcher(function).matches()) {
      throw bad("--udf function name '" + function + "' is not a Python identifier");
    }
    readableFile("--udf file", udfFile);
    readableFile("--input", c.input);
    InputFormat format = c.format != null ? c.format : InputFormat.fromFileName(c.input).orElseThrow(() -> bad(
        "cannot tell the format of --input " + c.input + " from its extension; give --format "
            + (c.pandas ? "jsonl, csv or arrow" : "jsonl, csv or text")));
    RunSettings.PandasSettings pandas = pandas(c, format);
    checkOutput(c.input, c.output);
    if (c.workers < 1 || c.workers > 1024) throw bad("--workers must be between 1 and 1024, got " + c.workers);
    if (c.batchSize != null && c.batchSize < 1) throw bad("--batch-size must be at least 1, got " + c.batchSize);
    if (c.partitionSize != null) checkPartitionSize(c.partitionSize);
    long partitionBytes = c.partitionSize == null ? 0 : size("--partition-size", c.partitionSize);
    RecordRules records = records(c);
    checkPython(c.python);
    Duration stallWarning = duration("--stall-warning", c.stallWarning);
    Duration taskTimeout = duration("--task-timeout", c.taskTimeout);
    return new RunSettings(udfFile, function, c.input, c.output, format, c.workers,
        c.batchSize == null ? 0 : c.batchSize, partitionBytes, c.python, c.showProgress(), stallWarning, taskTimeout,
        records, pandas);
  }

  /** --pandas, --schema and what they allow; null without --pandas. */
  private RunSettings.PandasSettings pandas(RunCommand c, InputFormat format) {
    if (!c.pandas) {
      if (format == InputFormat.ARROW) {
        throw bad("--input " + c.input + " is Arrow IPC, which only --pandas reads (FUNC then gets a DataFrame per"
            + " record batch); add --pandas");
      }
      if (c.schema != null) throw bad("--schema is for --pandas runs with Arrow output; add --pandas");
      return null;
    }
    if (format == InputFormat.TEXT) {
      throw bad("--pandas reads jsonl, csv or arrow input, not text; give --format jsonl, csv or arrow, or leave out"
          + " --pandas to get each line as a str");
    }
    if (c.allowNan) {
      throw bad("--allow-nan does not apply to --pandas: its JSON output writes NaN, None and NaT as null and fails"
          + " on an infinite float, and Arrow output (.arrow) keeps NaN and Infinity; leave out --allow-nan");
    }
    OutputFormat out = OutputFormat.fromFileName(c.output);
    String schema = c.schema == null ? "" : c.schema.strip();
    if (c.schema != null) {
      if (out != OutputFormat.ARROW) {
        throw bad("--schema fixes the schema of Arrow output, but --output " + c.output + " is JSON lines; name OUT"
            + " .arrow or .feather, or leave out --schema");
      }
      if (schema.isEmpty()) throw bad("--schema is empty; give NAME:TYPE,..., e.g. --schema id:int64,name:string");
    }
    return new RunSettings.PandasSettings(out, schema);
  }

  /** --max-record-size and --allow-nan. */
  private RecordRules records(RunCommand c) {
    if (c.maxRecordSize == null) {
      long limit = RecordRules.defaultMaxRecordBytes(c.workers, Runtime.getRuntime().maxMemory());
      return new RecordRules(limit, c.allowNan);
    }
    long limit;
    try {
      limit = size("--max-record-size", c.maxRecordSize);
    } catch (ParameterException e) {
      if (!SIZE.matcher(c.maxRecordSize.strip().toLowerCase(Locale.ROOT)).matches()) throw e;
      limit = 0; // a size, but out of any size's range: say this option's range
    }
    if (limit < RecordRules.MIN_RECORD_BYTES || limit > RecordRules.MAX_RECORD_BYTES) {
      throw bad("--max-record-size '" + c.maxRecordSize + "' must be between 1k and "
          + (RecordRules.MAX_RECORD_BYTES >> 20) + "m; give e.g. 16m");
    }
    return new RecordRules(limit, c.allowNan);
  }

  private void readableFile(String option, Path p) {
    if (!Files.exists(p)) throw bad(option + " " + p + " does not exist");
    if (Files.isDirectory(p)) throw bad(option + " " + p + " is a directory, not a file");
    if (!Files.isReadable(p)) throw bad(option + " " + p + " is not readable");
  }

  private void checkOutput(Path input, Path output) {
    Path parent = output.toAbsolutePath().getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      throw bad("--output " + output + ": its folder " + parent + " does not exist; create it first");
    }
    if (!Files.isWritable(parent)) throw bad("--output " + output + ": its folder " + parent + " is not writable");
    if (Files.isDirectory(output)) throw bad("--output " + output + " is a directory; give a file name");
    try {
      if (Files.exists(output) && Files.isSameFile(input, output)) {
        throw bad("--output " + output + " is the input file; write to another file");
      }
    } catch (IOException e) {
      throw bad("--output " + output + " cannot be checked: " + e.getMessage());
    }
  }

  /** A path must be an executable file; a bare name must be found on PATH. */
  private void checkPython(String python) {
    if (python.isBlank()) throw bad("--python is empty; give a path or a name on PATH, e.g. python3");
    if (python.contains(File.separator)) {
      if (!Files.isRegularFile(Path.of(python)) || !Files.isExecutable(Path.of(python))) {
        throw bad("--python " + python + " is not an executable file");
      }
      return;
    }
    String path = System.getenv("PATH");
    if (path != null) {
      for (String dir : path.split(File.pathSeparator)) {
        if (dir.isEmpty()) continue;
        Path candidate = Path.of(dir, python);
        if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) return;
      }
    }
    throw bad("--python " + python + " is not found on PATH; give its path or install it");
  }

  /** 1 byte (one record per partition) to {@link RunSettings#MAX_PARTITION_BYTES}. */
  private void checkPartitionSize(String text) {
    size("--partition-size", text, RunSettings.MAX_PARTITION_BYTES, "1 (one record per partition) and 64m;"
        + " leave it out to have it chosen from the input's size");
  }

  private long size(String option, String text) {
    return size(option, text, 1L << 40, "1 byte and 1 TiB");
  }

  private long size(String option, String text, long max, String range) {
    Matcher m = SIZE.matcher(text.strip().toLowerCase(Locale.ROOT));
    long v;
    try {
      if (!m.matches()) throw new NumberFormatException();
      v = Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      throw bad(option + " '" + text + "' is not a size; give bytes or a number with k, m or g, e.g. 4m");
    }
    int shift = switch (m.group(2)) {
      case "k" -> 10;
      case "m" -> 20;
      case "g" -> 30;
      default -> 0;
    };
    if (v < 1 || v > max >> shift) throw bad(option + " '" + text + "' must be between " + range);
    return v << shift;
  }

  /** {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h}, or {@code 0} for off; at most 1 day. */
  private Duration duration(String option, String text) {
    String t = text.strip().toLowerCase(Locale.ROOT);
    if (t.equals("0")) return Duration.ZERO;
    Matcher m = DURATION.matcher(t);
    if (!m.matches()) {
      throw bad(option + " '" + text + "' is not a duration; give a whole number with ms, s, m or h (e.g. 500ms, 5s,"
          + " 2m, 1h), or 0 to turn it off");
    }
    long n = Long.parseLong(m.group(1));
    Duration d = switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      default -> Duration.ofHours(n);
    };
    if (d.compareTo(MAX_DURATION) > 0) {
      throw bad(option + " '" + text + "' is longer than the maximum of 1 day (24h); give 24h or less, or 0 for off");
    }
    return d;
  }

  private ParameterException bad(String message) {
    return new ParameterException(cmd, message);
  }
}
