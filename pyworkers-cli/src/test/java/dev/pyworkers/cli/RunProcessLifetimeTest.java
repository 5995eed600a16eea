package dev.pyworkers.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pyworkers.cli.testing.CliProcess;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestRun;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pyworkers run} with a FUNC that starts {@code sleep 1000} in a new session once per worker: the run exits 0
 * and no sleeper outlives it ({@link NoLeaks} proves nothing at all is left).
 */
@ExtendWith(NoLeaks.class)
class RunProcessLifetimeTest {
  static final String PYTHON = TestRun.python();

  @TempDir Path dir;

  @Test
  void funcStartingAProcessPerWorker_exits0_andNoneOfThoseProcessesOutlivesTheRun() throws Exception {
    Files.writeString(dir.resolve("f.py"), "import subprocess\n"
        + "SLEEPER = None\n"
        + "def f(r):\n"
        + "    global SLEEPER\n"
        + "    if SLEEPER is None:\n"
        + "        SLEEPER = subprocess.Popen(['sleep', '1000'], start_new_session=True).pid\n"
        + "    return SLEEPER\n", StandardCharsets.UTF_8);
    Path in = Files.writeString(dir.resolve("in.jsonl"),
        IntStream.range(0, 2000).mapToObj(i -> "{\"i\": " + i + "}\n").collect(Collectors.joining()));
    CliProcess p = CliProcess.run(dir, "run", "--udf", dir.resolve("f.py") + ":f", "--input", in.toString(),
        "--output", dir.resolve("out.jsonl").toString(), "--python", PYTHON, "--workers", "2");
    assertThat(p.exitCode()).as(p.stderr()).isZero();
    List<String> lines = Files.readAllLines(dir.resolve("out.jsonl"), StandardCharsets.UTF_8);
    assertThat(lines).hasSize(2000);
    Set<Long> sleepers = lines.stream().map(Long::parseLong).collect(Collectors.toSet());
    await("every sleeper a FUNC started ends within 2 s of the run's exit").atMost(Duration.ofSeconds(2))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> sleepers.stream().noneMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive)
            .orElse(false) && NoLeaks.markedCommandLines().stream().anyMatch(s -> s.startsWith(pid + ":"))));
  }
}
