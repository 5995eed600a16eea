package dev.pyworkers.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.cli.testing.CliProcess;
import dev.pyworkers.testing.NoLeaks;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pyworkers bench spark}'s checks before anything starts: bad options, and a run from a classes folder (these
 * tests) instead of the built jar, are exit 2 with one line. The benchmark itself is not run here (it needs PySpark).
 */
@ExtendWith(NoLeaks.class)
class BenchSparkCommandTest {
  @TempDir Path dir;

  @Test
  void badOptionsAreUsageErrors() throws Exception {
    CliProcess rows = CliProcess.start(dir, "bench", "spark", "--rows", "0");
    assertThat(rows.waitFor(Duration.ofMinutes(1))).isEqualTo(2);
    assertThat(rows.stderr()).contains("--rows must be at least 1, got 0");
    CliProcess repeat = CliProcess.start(dir, "bench", "spark", "--repeat", "0");
    assertThat(repeat.waitFor(Duration.ofMinutes(1))).isEqualTo(2);
    assertThat(repeat.stderr()).contains("--repeat must be at least 1, got 0");
  }

  @Test
  void outsideTheBuiltJarItSaysHowToRunIt() throws Exception {
    CliProcess p = CliProcess.start(dir, "bench", "spark", "--rows", "10");
    assertThat(p.waitFor(Duration.ofMinutes(1))).isEqualTo(2);
    assertThat(p.stderr().strip())
        .isEqualTo("pyworkers bench spark: runs only from the built pyworkers.jar (bin/pyworkers bench spark)");
  }
}
