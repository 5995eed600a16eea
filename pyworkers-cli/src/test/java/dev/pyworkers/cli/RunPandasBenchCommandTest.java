package dev.pyworkers.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.cli.testing.CliProcess;
import dev.pyworkers.testing.NoLeaks;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pyworkers bench run-pandas} on a small input: both sides run (the plain pandas script and {@code run
 * --pandas}), their outputs are compared byte for byte, and the JSON comes as the last line.
 */
@ExtendWith(NoLeaks.class)
class RunPandasBenchCommandTest {
  @TempDir Path dir;

  @Test
  void smallRun_printsTheTableAndTheJsonLastLine() throws Exception {
    CliProcess p = CliProcess.start(dir, "bench", "run-pandas", "--records", "3000", "--repeat", "2", "--json",
        "--python", RunCommandTest.PYTHON);
    assertThat(p.waitFor(Duration.ofMinutes(2))).as(p.stderr()).isZero();
    List<String> lines = p.stdout().strip().lines().toList();
    assertThat(lines).anyMatch(l -> l.startsWith("plain pandas script (1 process)"))
        .anyMatch(l -> l.startsWith("pyworkers run --pandas --workers 2"))
        .anyMatch(l -> l.startsWith("ratio      pyworkers run --pandas / plain pandas script = "));
    assertThat(lines.get(lines.size() - 1))
        .startsWith("{\"records\":3000,")
        .containsPattern("\"plain_pandas_s\":[0-9.]+,\"pyworkers_run_pandas_s\":[0-9.]+,\"ratio\":[0-9.]+,")
        .contains("\"target_ratio\":0.60,").endsWith("}");
    assertThat(p.stderr()).contains("repeat 2/2: plain pandas script").contains("comparing the outputs");
  }
}
