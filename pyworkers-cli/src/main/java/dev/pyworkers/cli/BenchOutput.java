package dev.pyworkers.cli;

import dev.pyworkers.bench.BenchReport;
import java.io.PrintWriter;
import java.util.function.Consumer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * The options and output every {@code bench} command shares: {@code --json} and {@code --python}; progress lines go
 * to stderr as they come, then the table and, with {@code --json}, one JSON line last on stdout. A picocli mixin;
 * confined to the command's thread.
 */
final class BenchOutput {
  @Option(names = "--json", description = "After the table, print one JSON summary line as the last line.")
  boolean json;

  @Option(
      names = "--python",
      paramLabel = "EXE",
      defaultValue = "${env:PYWORKERS_PYTHON:-python3}",
      description = "Python executable, a path or a name on PATH (default: $PYWORKERS_PYTHON if set, else python3;"
          + " now ${DEFAULT-VALUE}).")
  String python;

  /** A benchmark run, given where to send its progress lines. */
  interface Bench {
    BenchReport run(Consumer<String> progress) throws Exception;
  }

  /** Runs {@code bench} with a progress sink on stderr and prints its report; returns the exit code 0. */
  int print(CommandSpec spec, Bench bench) throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    BenchReport report = bench.run(line -> {
      err.println(line);
      err.flush();
    });
    PrintWriter out = spec.commandLine().getOut();
    report.tableLines().forEach(out::println);
    if (json) out.println(report.toJson());
    out.flush();
    return 0;
  }
}
