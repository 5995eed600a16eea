package dev.pyworkers.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.cli.testing.CliProcess;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestRun;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pyworkers bench gateway} with real Pythons (fresh venvs): one that lacks the driver gets one line naming it
 * and the fix, exit 2; one with a stand-in {@code pyworkers.driver._bench} shows the options passed on, the output
 * streamed and its exit code returned; bad options and a Python that does not start are exit 2 before any Python
 * runs. The benchmark itself is not run here.
 */
@ExtendWith(NoLeaks.class)
class BenchGatewayCommandTest {
  /** The stand-in benchmark: prints its arguments, a progress line, and exits 7. */
  private static final String STUB_BENCH = String.join("\n",
      "import sys",
      "print('stub progress', file=sys.stderr, flush=True)",
      "print('args ' + ' '.join(sys.argv[1:]), flush=True)",
      "sys.exit(7)",
      "");

  @TempDir Path dir;

  @Test
  void pythonWithoutTheDriver_isOneLineWithTheFix_exitTwo() throws Exception {
    String python = venv("venv");

    CliProcess p = CliProcess.start(dir, "bench", "gateway", "--json", "--python", python);
    assertThat(p.waitFor(Duration.ofMinutes(1))).as(p.stderr()).isEqualTo(2);
    assertThat(p.stderr().strip()).isEqualTo("pyworkers bench gateway: the driver is not installed in " + python
        + " (import pyworkers.driver failed); install it with " + python + " -m pip install ./pyworkers-gateway");
    assertThat(p.stdout()).isEmpty();
  }

  @Test
  void optionsArePassedOn_outputStreamed_exitCodeReturned() throws Exception {
    String python = venv("venv");
    Path site = Path.of(output(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip());
    Path driver = Files.createDirectories(site.resolve("pyworkers").resolve("driver"));
    Files.writeString(site.resolve("pyworkers").resolve("__init__.py"), "");
    Files.writeString(driver.resolve("__init__.py"), "");
    Files.writeString(driver.resolve("_bench.py"), STUB_BENCH);

    CliProcess p = CliProcess.start(dir, "bench", "gateway", "--json", "--repeat", "5", "--bulk-mb", "8",
        "--frame-mb", "4", "--python", python);
    assertThat(p.waitFor(Duration.ofMinutes(1))).as(p.stderr()).isEqualTo(7);
    assertThat(p.stdout().strip()).isEqualTo("args --repeat 5 --bulk-mb 8 --frame-mb 4 --json");
    assertThat(p.stderr().strip()).isEqualTo("stub progress");

    CliProcess defaults = CliProcess.start(dir, "bench", "gateway", "--python", python);
    assertThat(defaults.waitFor(Duration.ofMinutes(1))).as(defaults.stderr()).isEqualTo(7);
    assertThat(defaults.stdout().strip()).isEqualTo("args --repeat 3 --bulk-mb 1024 --frame-mb 1");
  }

  @Test
  void badOptions_areExitTwo_beforeAnyPython() throws Exception {
    String[][] cases = {{"--repeat", "0"}, {"--bulk-mb", "0"}, {"--frame-mb", "2048"}};
    String[] messages = {"--repeat must be at least 1, got 0", "--bulk-mb must be at least 1, got 0",
        "--frame-mb must be 1 to 1024, got 2048"};
    for (int i = 0; i < cases.length; i++) {
      CliProcess p = CliProcess.run(dir, "bench", "gateway", cases[i][0], cases[i][1], "--python",
          dir.resolve("no-such-python").toString());
      assertThat(p.exitCode()).as(p.stderr()).isEqualTo(2);
      assertThat(p.stderr()).contains("pyworkers bench gateway: " + messages[i]);
      assertThat(p.stdout()).isEmpty();
    }
  }

  @Test
  void pythonThatDoesNotStart_isOneLine_exitTwo() throws Exception {
    String python = dir.resolve("no-such-python").toString();
    CliProcess p = CliProcess.run(dir, "bench", "gateway", "--python", python);
    assertThat(p.exitCode()).as(p.stderr()).isEqualTo(2);
    assertThat(p.stderr().strip()).startsWith("pyworkers bench gateway: cannot start the Python " + python + " (")
        .endsWith("); pass --python EXE or set PYWORKERS_PYTHON");
    assertThat(p.stderr().strip().lines()).hasSize(1);
  }

  /** A new venv without pip (so without the driver) in {@code dir/name}; returns its python. */
  private String venv(String name) throws Exception {
    Path venv = dir.resolve(name);
    output(TestRun.python(), "-m", "venv", "--without-pip", venv.toString());
    return venv.resolve("bin").resolve("python").toString();
  }

  private static String output(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).as(String.join(" ", cmd)).isTrue();
    assertThat(p.exitValue()).as(String.join(" ", cmd) + ": " + out).isZero();
    return out;
  }
}
