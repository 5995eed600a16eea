package dev.pyworkers.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.cli.testing.CliProcess;
import dev.pyworkers.testing.NoLeaks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Whatever FUNC raises is a FUNC error (exit 1, the input line and FUNC's traceback), the exceptions that are not
 * {@code Exception}s included: a {@code KeyboardInterrupt} FUNC raises itself is not a Ctrl-C (exit 130 is for a
 * SIGINT or SIGTERM the user sent, see {@link RunInterruptTest}), and neither {@code SystemExit} nor {@code
 * GeneratorExit} ends a worker silently.
 */
@ExtendWith(NoLeaks.class)
class RunUdfBaseExceptionTest {
  @TempDir Path dir;

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "KeyboardInterrupt('stop here')|KeyboardInterrupt|stop here",
      "SystemExit(3)|SystemExit|3",
      "SystemExit('bye')|SystemExit|bye",
      "GeneratorExit('done')|GeneratorExit|done",
  })
  void baseExceptionRaisedByFunc_exitsOne_withTheLineAndTheTraceback(String raised, String type, String message)
      throws Exception {
    Files.writeString(dir.resolve("f.py"), "def f(r):\n    if r['i'] == 777:\n        raise " + raised
        + "\n    return r\n");
    Path in = Files.writeString(dir.resolve("in.jsonl"), IntStream.range(0, 3000).mapToObj(i -> "{\"i\": " + i + "}")
        .collect(Collectors.joining("\n", "", "\n")));
    CliProcess p = CliProcess.run(dir, "run", "--udf", dir.resolve("f.py") + ":f", "--input", in.toString(),
        "--output", dir.resolve("out.jsonl").toString(), "--workers", "2", "--partition-size", "8k",
        "--python", RunCommandTest.PYTHON);
    assertThat(p.exitCode()).as(p.stderr()).isEqualTo(1);
    assertThat(p.stderr())
        .contains("pyworkers run: f raised " + type + " on input line 778: " + message + "\n")
        .contains("The line: '{\"i\": 777}'")
        .contains("Traceback (most recent call last):")
        .contains("f.py\", line 3, in f")
        .doesNotContain("jobs.py")
        .doesNotContain("interrupted");
    try (var files = Files.list(dir)) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .noneMatch(n -> n.startsWith("out.jsonl") || n.startsWith(".out.jsonl"));
    }
  }
}
