package dev.pyworkers.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code pyworkers bench gateway}: runs the Python driver's benchmark, {@code <python> -m pyworkers.driver._bench},
 * with this command's options, {@code PYWORKERS_JAR} set to the jar this command runs from, and the Python's stdout
 * and stderr as its own; exits with the Python's exit code. Exit 2 with one line when that Python has no driver.
 * Not thread-safe: one command line per instance.
 */
@Command(
    name = "gateway",
    mixinStandardHelpOptions = true,
    version = Main.VERSION,
    sortOptions = false,
    description = {
      "Benchmarks the Python driver (pyworkers.driver) from Python: a trivial static call through its gateway"
          + " against plain Py4J with default settings (target: p50 <= 50 us and <= Py4J), bytes from the JVM"
          + " through a data socket against a byte[] through Py4J (target: >= 500 MB/s and >= 100x), cold start"
          + " from connect() to the first answer (target: <= 1000 ms), and Gateway.map against"
          + " multiprocessing.Pool(2).imap (target: <= 1.0 x).",
      "Needs the driver in that Python: <python> -m pip install ./pyworkers-gateway."
    })
final class BenchGatewayCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin BenchOutput output;

  @Option(names = "--repeat", defaultValue = "3", description = "Cold starts and map rounds (default ${DEFAULT-VALUE}).")
  int repeat;

  @Option(names = "--bulk-mb", defaultValue = "1024", paramLabel = "MIB",
      description = "MiB sent from the JVM in the bulk transfer (default ${DEFAULT-VALUE}).")
  int bulkMb;

  @Option(names = "--frame-mb", defaultValue = "1", paramLabel = "MIB",
      description = "MiB per frame of the reported bulk transfer (default ${DEFAULT-VALUE}, the fastest of 1, 4 and 16"
          + " on a 2-core machine; all three are measured).")
  int frameMb;

  @Override
  public Integer call() throws Exception {
    if (repeat < 1) throw new ParameterException(spec.commandLine(), "--repeat must be at least 1, got " + repeat);
    if (bulkMb < 1) throw new ParameterException(spec.commandLine(), "--bulk-mb must be at least 1, got " + bulkMb);
    if (frameMb < 1 || frameMb > 1024) {
      throw new ParameterException(spec.commandLine(), "--frame-mb must be 1 to 1024, got " + frameMb);
    }
    PrintWriter err = spec.commandLine().getErr();
    String python = output.python;
    String missing = missingDriver(python);
    if (missing != null) {
      err.println("pyworkers bench gateway: " + missing);
      err.flush();
      return 2;
    }
    List<String> cmd = new ArrayList<>(List.of(python, "-m", "pyworkers.driver._bench", "--repeat",
        Integer.toString(repeat), "--bulk-mb", Integer.toString(bulkMb), "--frame-mb", Integer.toString(frameMb)));
    if (output.json) cmd.add("--json");
    ProcessBuilder pb = new ProcessBuilder(cmd);
    Path jar = ChildRuns.ownJar();
    if (jar != null) pb.environment().put("PYWORKERS_JAR", jar.toString());
    spec.commandLine().getOut().flush();
    err.flush();
    return ChildRuns.runInherited(pb);
  }

  /**
   * Null when {@code python} imports the driver; else what is wrong and what to do: it does not start, or {@code
   * import pyworkers.driver} fails (or takes more than 60 s) in it.
   */
  private static String missingDriver(String python) throws InterruptedException {
    Process p;
    try {
      p = new ProcessBuilder(python, "-c", "import pyworkers.driver")
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
    } catch (IOException e) {
      return "cannot start the Python " + python + " (" + e.getMessage() + "); pass --python EXE or set"
          + " PYWORKERS_PYTHON";
    }
    boolean done = p.waitFor(60, TimeUnit.SECONDS);
    if (done && p.exitValue() == 0) return null;
    if (!done) p.destroyForcibly().waitFor();
    return "the driver is not installed in " + python + " (import pyworkers.driver failed); install it with "
        + python + " -m pip install ./pyworkers-gateway";
  }
}
