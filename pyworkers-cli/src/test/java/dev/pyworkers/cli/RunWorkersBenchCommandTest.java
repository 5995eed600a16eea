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

/** {@code pyworkers bench run-workers} on a tiny input: both sides run and are checked, JSON as the last line. */
@ExtendWith(NoLeaks.class)
class RunWorkersBenchCommandTest {
  @TempDir Path dir;

  @Test
  void tinyRun_printsTheTableAndTheJsonLastLine() throws Exception {
    CliProcess p = CliProcess.start(dir, "bench", "run-workers", "--records", "8", "--sleep-ms", "100",
        "--workers", "2", "--rounds", "1", "--json", "--python", RunCommandTest.PYTHON);
    assertThat(p.waitFor(Duration.ofMinutes(2))).as(p.stderr()).isZero();
    List<String> lines = p.stdout().strip().lines().toList();
    assertThat(lines).anyMatch(l -> l.startsWith("--workers 1 "))
        .anyMatch(l -> l.startsWith("--workers 2 "))
        .anyMatch(l -> l.startsWith("ratio      --workers 2 / --workers 1 = "));
    assertThat(lines.get(lines.size() - 1))
        .startsWith("{\"records\":8,")
        .containsPattern("\"one_worker_s\":[0-9.]+,\"workers_s\":[0-9.]+,\"ratio\":[0-9.]+,")
        .endsWith("}");
    assertThat(p.stderr()).contains("round 1/1").contains("--workers 2: ").contains("ran on 2 worker(s)");
  }

  @Test
  void oneWorker_isABadArgument() throws Exception {
    CliProcess p = CliProcess.run(dir, "bench", "run-workers", "--workers", "1");
    assertThat(p.exitCode()).isEqualTo(2);
    assertThat(p.stderr()).contains("--workers must be between 2 and 1024, got 1");
  }
}
