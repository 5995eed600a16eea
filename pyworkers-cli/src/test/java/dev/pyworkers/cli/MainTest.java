package dev.pyworkers.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Picocli wiring and exit codes of the {@code pyworkers} command; none of these start a Python process. */
class MainTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cmd = Main.commandLine();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    return cmd.execute(args);
  }

  @Test
  void benchAcquireHelp_exitsZeroAndListsEveryOption() {
    assertThat(run("bench", "acquire", "--help")).isZero();
    assertThat(out.toString())
        .contains("Usage: pyworkers bench acquire")
        .contains("--json", "--iterations=N", "--spawn-iterations=N", "--cold-iterations=N", "--python=EXE",
            "--transport=KIND", "--verbose", "--help", "--version");
    assertThat(out.toString().replaceAll("\\s+", " ")).contains("auto, unix or tcp");
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void version_printsProjectVersion() {
    assertThat(run("--version")).isZero();
    assertThat(out.toString().strip()).isEqualTo("0.1.0");
  }

  @Test
  void benchAcquire_withUnknownOption_exitsTwo() {
    assertThat(run("bench", "acquire", "--no-such-option")).isEqualTo(2);
    assertThat(err.toString()).contains("Unknown option: '--no-such-option'");
  }

  @Test
  void benchAcquire_withBadTransport_exitsTwo() {
    assertThat(run("bench", "acquire", "--transport", "carrier-pigeon")).isEqualTo(2);
    assertThat(err.toString()).contains("--transport");
  }

  @Test
  void benchAcquire_withZeroIterations_exitsTwoBeforeStartingPython() {
    assertThat(run("bench", "acquire", "--iterations", "0", "--python", "/no/such/python")).isEqualTo(2);
    assertThat(err.toString()).contains("--iterations must be at least 1, got 0");
  }

  @Test
  void bench_withoutSubcommand_exitsTwo() {
    assertThat(run("bench")).isEqualTo(2);
    assertThat(err.toString()).contains("Missing required subcommand");
  }

  @Test
  void benchAcquire_withMissingPython_exitsOneWithOneLineError() {
    assertThat(run("bench", "acquire", "--python", "/no/such/python")).isEqualTo(1);
    assertThat(err.toString().strip().lines())
        .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .startsWith("pyworkers bench acquire: cannot start Python executable '/no/such/python'");
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void benchAcquire_withVerboseAndMissingPython_printsStackTrace() {
    assertThat(run("bench", "acquire", "--verbose", "--python", "/no/such/python")).isEqualTo(1);
    assertThat(err.toString()).contains("\tat dev.pyworkers.bench.PythonInterpreter.resolve");
  }
}
