package dev.pyworkers.cli;

import dev.pyworkers.cli.run.ExitCode;
import dev.pyworkers.cli.run.Failures;
import dev.pyworkers.cli.run.InputFormat;
import dev.pyworkers.cli.run.InterruptHook;
import dev.pyworkers.cli.run.Progress;
import dev.pyworkers.cli.run.RunFailure;
import dev.pyworkers.cli.run.RunJob;
import dev.pyworkers.cli.run.RunSettings;
import dev.pyworkers.cli.run.EventReport;
import dev.pyworkers.cli.run.RunSummary;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pyworkers run}: the main job. Applies a Python function to every record of a file in parallel Python
 * workers and writes one JSON line per record, in input order. Every argument is checked ({@link RunArguments})
 * before any Python process starts; FUNC is loaded once before any input is read. Failures print one message
 * (with FUNC's traceback for a UDF error) and exit with a code of {@link ExitCode}. Not thread-safe: one command
 * line per instance.
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    version = Main.VERSION,
    sortOptions = false,
    usageHelpWidth = 100,
    description = {
      "Applies FUNC from FILE.py to every record of IN, in parallel Python worker processes, and writes one JSON line"
          + " per record to OUT, in input order.",
      "",
      "What FUNC receives, per format: jsonl: the parsed JSON value of a line (blank lines are skipped); csv: a dict"
          + " of column name to string, from a header line and then one record per line (Python's csv module, excel"
          + " dialect: ',' separates fields, '\"' quotes them, quoted fields may span lines; blank lines are"
          + " skipped); text: the line as a str, without its line ending. Input must be UTF-8; a UTF-8 byte order"
          + " mark is dropped. FUNC returns one value, written with json.dumps. JSON is strict: NaN and Infinity are"
          + " neither read nor written unless --allow-nan.",
      "",
      "The input is streamed: it is cut into partitions of whole records (one runner task each), at most"
          + " --workers + 2 partitions are held in memory at once, and OUT is written to a temporary file next to it"
          + " and renamed when every record is done. A failure or Ctrl-C never leaves a partial OUT. Output waiting"
          + " for its turn is held in memory up to an eighth of the heap (at most 64 MiB); the rest waits in spill"
          + " files beside OUT. A later run in OUT's folder removes the temporary files of runs that were killed.",
      "",
      "Progress (records done, rate, ETA) is drawn on stderr when it is a terminal. At the end one summary line goes"
          + " to stderr: records, seconds, records/s, workers, partitions, the longest wait for a worker (boot; the"
          + " first includes starting the Python daemon) and the longest function load in a worker (init). What FUNC"
          + " prints goes to the log, which --verbose shows. --verbose also prints a line for each Python daemon and"
          + " worker that starts or ends (with the reason) and each partition done or failed (records and bytes each"
          + " way, times), and a totals line at the end.",
      ""
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:success: OUT holds one JSON line per input record, in input order",
      "1:FUNC raised an exception, KeyboardInterrupt and SystemExit included (its traceback and the input line are"
          + " printed), or returned a value that is not JSON (not serialisable, NaN or infinite without --allow-nan,"
          + " longer than --max-record-size)",
      "2:bad arguments: an invalid option, a missing input, or a bad --udf (missing file, syntax error, missing or"
          + " non-callable function); nothing was read",
      "3:a malformed input line: not JSON (NaN and Infinity included, without --allow-nan), not CSV, not UTF-8, or"
          + " longer than --max-record-size (its number and first 80 characters are printed)",
      "4:a Python worker crashed (exited or was killed) in the middle of a partition",
      "5:another failure: OUT cannot be written, Python cannot be started, an internal error (out of memory"
          + " included; --verbose prints its stack trace)",
      "6:a Python worker made no progress for --task-timeout and was killed (its pid, partition, input lines and"
          + " last traceback are printed); OUT was not written",
      "130:interrupted by Ctrl-C (SIGINT) or SIGTERM sent by the user: the workers were stopped within 2 s, OUT was"
          + " not written"
    })
final class RunCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--udf", required = true, paramLabel = "FILE.py:FUNC",
      description = "The Python file and the function in it to call once per record (with --pandas, once per"
          + " DataFrame). FILE.py is loaded in each worker like a script (its folder is on sys.path); FUNC takes one"
          + " argument.")
  String udf;

  @Option(names = "--input", required = true, paramLabel = "IN", description = "The input file.")
  Path input;

  @Option(names = "--output", required = true, paramLabel = "OUT",
      description = "The output file, JSON lines (with --pandas, an Arrow IPC file when it ends in .arrow or"
          + " .feather); replaced only when the run succeeds.")
  Path output;

  @Option(names = "--format", paramLabel = "FORMAT",
      description = "jsonl, csv, text or arrow (default: from IN's extension: .jsonl/.ndjson/.jsonlines, .csv,"
          + " .txt/.text/.log, .arrow/.feather); arrow only with --pandas, text only without.")
  InputFormat format;

  @Option(names = "--pandas",
      description = "FUNC takes a pandas DataFrame per batch of records and returns a DataFrame with any number of"
          + " rows, as Spark's mapInPandas. IN is JSONL, CSV (read by pyarrow, types inferred per batch) or an Arrow"
          + " IPC file (.arrow, .feather: one DataFrame per record batch, read by the workers from the file); OUT is"
          + " an Arrow IPC file when it ends in .arrow or .feather, else JSON lines (NaN, None and NaT as null). The"
          + " workers need pandas and pyarrow. A batch is as large as its partition unless --batch-size gives its"
          + " rows.")
  boolean pandas;

  @Option(names = "--schema", paramLabel = "NAME:TYPE,...",
      description = "With --pandas and Arrow output: the columns and pyarrow types of OUT (e.g. id:int64,name:string,"
          + "t:timestamp[us]); every result is cast to it, safely (an overflow or a lossy cast fails). Without it,"
          + " the first result with rows fixes OUT's schema and a later result of other types fails the run.")
  String schema;

  @Option(names = "--workers", paramLabel = "N",
      description = "Python worker processes, and partitions processed at once (default: the number of cores,"
          + " here ${DEFAULT-VALUE}).")
  int workers = Runtime.getRuntime().availableProcessors();

  @Option(names = "--batch-size", paramLabel = "N",
      description = "Records sent to a worker in one message (default: as many whole records as fit in 64 KiB)."
          + " A message never exceeds 64 MiB, nor what its partition still takes, and holds fewer records when"
          + " FUNC's output is much larger than its input (about 1 MiB of output per message).")
  Integer batchSize;

  @Option(names = "--partition-size", paramLabel = "SIZE",
      description = "Input bytes per partition (one runner task), like 4m, 512k or 100000, from 1 (one record per"
          + " partition) to 64m; a partition ends with the record that reaches it (default: a sixteenth of each"
          + " worker's share of IN, between 64 KiB and 2 MiB, but at least 4 partitions per worker for a small IN,"
          + " down to one record each).")
  String partitionSize;

  @Option(names = "--max-record-size", paramLabel = "SIZE",
      description = "The longest input record (a line; a CSV record may span lines), without its line end, and the"
          + " longest JSON result of one record, like 16m or 512k, between 1k and 256m. A longer record is a"
          + " malformed line (exit 3), a longer result a FUNC error (exit 1). Default: 16m, less when 4 copies per"
          + " partition in memory (--workers + 2 of them) would not fit in the JVM's heap (12m for 8 workers with"
          + " bin/pyworkers' -Xmx512m).")
  String maxRecordSize;

  @Option(names = "--allow-nan",
      description = "Accept NaN, Infinity and -Infinity in JSONL input and write NaN or infinite results as those"
          + " literals. They are not JSON (RFC 8259) and most JSON readers reject them; without this option an input"
          + " line holding one is malformed (exit 3) and such a result is a FUNC error (exit 1).")
  boolean allowNan;

  @Option(names = "--python", paramLabel = "EXE", defaultValue = "${env:PYWORKERS_PYTHON:-python3}",
      description = "Python executable, a path or a name on PATH (default: $PYWORKERS_PYTHON if set, else python3;"
          + " now ${DEFAULT-VALUE}).")
  String python;

  @Option(names = "--stall-warning", paramLabel = "DURATION", defaultValue = "60s",
      description = "When a worker has taken no input and sent no output for this long, print a WARN on stderr with"
          + " its pid, the partition, the input lines, the process state and FUNC's Python traceback, and repeat it"
          + " at this interval while the stall lasts. Like 500ms, 5s, 2m or 1h; 0 turns it off (default:"
          + " ${DEFAULT-VALUE}).")
  String stallWarning;

  @Option(names = "--task-timeout", paramLabel = "DURATION", defaultValue = "0",
      description = "Kill a worker that has taken no input and sent no output for this long, and fail the run"
          + " (exit code 6). Like 500ms, 5s, 2m or 1h; 0 turns it off (default: ${DEFAULT-VALUE}, off).")
  String taskTimeout;

  @Option(names = "--progress", negatable = true,
      description = "Draw the progress bar on stderr (default: only when stderr is a terminal).")
  Boolean progress;

  @Override
  public Integer call() {
    RunSettings settings = new RunArguments(spec.commandLine()).settings(this);
    PrintWriter err = spec.commandLine().getErr();
    boolean verbose = Main.isVerbose(spec.root().commandLine().getParseResult());
    EventReport report = verbose ? new EventReport(System.err, settings.showProgress()) : null;
    RunJob job = report == null ? new RunJob(settings, System.err) : new RunJob(settings, System.err, report);
    InterruptHook hook = InterruptHook.install(job, System.err);
    try {
      RunSummary summary = job.run();
      err.println(summary.line());
      if (report != null) err.println(report.totals());
      return ExitCode.OK.code();
    } catch (RunFailure f) {
      if (Failures.mayEchoASignal(f)) awaitInterrupt(job);
      if (job.isInterrupted()) return ExitCode.INTERRUPTED.code(); // the interrupt hook reports it
      err.println(spec.qualifiedName() + ": " + f.getMessage());
      if (verbose && f.getCause() != null) f.getCause().printStackTrace(err);
      if (report != null) err.println(report.totals());
      return f.exitCode().code();
    } catch (RuntimeException | Error e) {
      if (job.isInterrupted()) return ExitCode.INTERRUPTED.code();
      return internalError(err, e);
    } finally {
      hook.remove();
      err.flush();
    }
  }

  /**
   * A process of the run died of SIGINT or SIGTERM: if the user sent it to the process group, the JVM got it too and
   * its interrupt hook is about to run (it then ends the JVM with exit code 130). Waits up to a second for it, so that
   * such a run is reported as interrupted and not as failed.
   */
  private static void awaitInterrupt(RunJob job) {
    long deadline = System.nanoTime() + 1_000_000_000L;
    try {
      while (!job.isInterrupted() && System.nanoTime() < deadline) Thread.sleep(10);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** An error that is none of the run's failures (a defect, or the JVM out of memory): one line, exit code 5. */
  private int internalError(PrintWriter err, Throwable e) {
    err.println(spec.qualifiedName() + ": internal error: " + Failures.describeInternal(e));
    if (Main.isVerbose(spec.root().commandLine().getParseResult())) e.printStackTrace(err);
    return ExitCode.FAILURE.code();
  }

  boolean showProgress() {
    return progress != null ? progress : Progress.stderrIsTerminal();
  }
}
