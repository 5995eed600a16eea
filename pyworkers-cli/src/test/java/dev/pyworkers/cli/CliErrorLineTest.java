package dev.pyworkers.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.cli.testing.CliProcess;
import dev.pyworkers.testing.NoLeaks;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Picocli's own error paths print one line, never the usage help or a stack trace: a bad option value, an unknown
 * option (with picocli's suggestion), a missing value, a bad size. Through the real command in its own JVM, so
 * what {@code main} does is tested too; none of these start a Python process.
 */
@ExtendWith(NoLeaks.class)
class CliErrorLineTest {
  @TempDir Path dir;

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(delimiter = '|', value = {
      "--workers|abc|pyworkers run: Invalid value for option '--workers': 'abc' is not an int (see 'pyworkers run"
          + " --help')",
      "--worker|2|pyworkers run: Unknown options: '--worker', '2'; did you mean --workers? (see 'pyworkers run"
          + " --help')",
      "--format|xml|pyworkers run: Invalid value for option '--format': expected one of [JSONL, CSV, TEXT,"
          + " ARROW] (case-insensitive) but was 'xml' (see 'pyworkers run --help')",
      "--max-record-size|0|pyworkers run: --max-record-size '0' must be between 1k and 256m; give e.g. 16m (see"
          + " 'pyworkers run --help')",
      "--max-record-size|2048g|pyworkers run: --max-record-size '2048g' must be between 1k and 256m; give e.g. 16m"
          + " (see 'pyworkers run --help')",
      "--max-record-size|512m|pyworkers run: --max-record-size '512m' must be between 1k and 256m; give e.g. 16m"
          + " (see 'pyworkers run --help')",
      "--max-record-size|big|pyworkers run: --max-record-size 'big' is not a size; give bytes or a number with k, m"
          + " or g, e.g. 4m (see 'pyworkers run --help')",
      "--allow-nan=maybe||pyworkers run: Invalid value for option '--allow-nan': 'maybe' is not a boolean (see"
          + " 'pyworkers run --help')",
  })
  void badOption_isOneLineOnStderr_exitTwo(String option, String value, String line) throws Exception {
    Files.writeString(dir.resolve("f.py"), "def f(r):\n    return r\n");
    Files.writeString(dir.resolve("in.jsonl"), "{}\n");
    var args = new java.util.ArrayList<>(java.util.List.of("run", "--udf", dir.resolve("f.py") + ":f", "--input",
        dir.resolve("in.jsonl").toString(), "--output", dir.resolve("out.jsonl").toString(), option));
    if (value != null) args.add(value);
    CliProcess p = CliProcess.run(dir, args.toArray(String[]::new));
    assertThat(p.exitCode()).as(p.stderr()).isEqualTo(2);
    assertThat(p.stderr().strip()).isEqualTo(line);
    assertThat(p.stdout()).isEmpty();
  }
}
