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

/** {@code pyworkers bench run-job} on a small input: both sides run, outputs compared, JSON as the last line. */
@ExtendWith(NoLeaks.class)
class RunJobBenchCommandTest {
  @TempDir Path dir;

  @Test
  void smallRun_printsTheTableAndTheJsonLastLine() throws Exception {
    CliProcess p = CliProcess.start(dir, "bench", "run-job", "--records", "3000", "--repeat", "2", "--json",
        "--python", RunCommandTest.PYTHON);
    assertThat(p.waitFor(Duration.ofMinutes(2))).as(p.stderr()).isZero();
    List<String> lines = p.stdout().strip().lines().toList();
    assertThat(lines).anyMatch(l -> l.startsWith("plain Python script (1 process)"))
        .anyMatch(l -> l.startsWith("pyworkers run --workers 2"))
        .anyMatch(l -> l.startsWith("ratio      pyworkers run / plain script = "));
    assertThat(lines.get(lines.size() - 1))
        .startsWith("{\"records\":3000,")
        .containsPattern("\"plain_script_s\":[0-9.]+,\"pyworkers_run_s\":[0-9.]+,\"ratio\":[0-9.]+,")
        .contains("\"plain_script_samples_s\":[").endsWith("}");
    assertThat(p.stderr()).contains("repeat 2/2: plain script").contains("comparing the outputs");
  }

  @Test
  void zeroRecords_isABadArgument() throws Exception {
    CliProcess p = CliProcess.run(dir, "bench", "run-job", "--records", "0");
    assertThat(p.exitCode()).isEqualTo(2);
    assertThat(p.stderr()).contains("--records must be at least 1, got 0");
  }
}
