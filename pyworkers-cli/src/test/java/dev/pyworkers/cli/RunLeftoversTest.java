package dev.pyworkers.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pyworkers.cli.testing.CliProcess;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestRun;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The temporary output of a run that was killed with SIGKILL (no shutdown hook runs) is removed by the next run in
 * the folder, while the temporary output of a run that is still alive is left alone. Real runs in child JVMs; {@link
 * NoLeaks} proves no process is left.
 */
@ExtendWith(NoLeaks.class)
class RunLeftoversTest {
  static final String PYTHON = TestRun.python();

  @TempDir Path dir;

  Path input(int records) throws IOException {
    return Files.writeString(dir.resolve("in.jsonl"), IntStream.range(0, records).mapToObj(i -> "{\"i\": " + i + "}")
        .collect(Collectors.joining("\n", "", "\n")));
  }

  Path udf(String name, double sleepSeconds) throws IOException {
    return Files.writeString(dir.resolve(name), "import time\ndef f(r):\n    time.sleep(" + sleepSeconds + ")\n"
        + "    return r['i']\n");
  }

  CliProcess start(Path udf, Path in, String out) throws IOException {
    return CliProcess.start(dir, "run", "--udf", udf + ":f", "--input", in.toString(), "--output",
        dir.resolve(out).toString(), "--python", PYTHON, "--workers", "1", "--no-progress");
  }

  /** The temporary outputs of {@code out} now in the folder. */
  List<Path> temporaries(String out) throws IOException {
    try (var files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().matches("\\." + out.replace(".", "\\.")
          + "\\.pyworkers-h[0-9a-f]{8}-p\\d+-[0-9a-z]+-[0-9a-f]{12}\\.tmp")).toList();
    }
  }

  Path awaitTemporary(String out) {
    return await("the temporary output of " + out).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
        .until(() -> temporaries(out), l -> l.size() == 1).get(0);
  }

  @Test
  void killedRun_leavesItsTemporaryOutput_andTheNextRunRemovesItAndSucceeds() throws Exception {
    Path in = input(1000);
    CliProcess killed = start(udf("slow.py", 0.05), in, "out.jsonl");
    Path leftover = awaitTemporary("out.jsonl");
    assertThat(leftover.getFileName().toString()).contains("-p" + killed.pid() + "-");
    killed.signal("KILL");
    killed.waitFor(Duration.ofSeconds(10));
    await("the killed run's Python processes end").atMost(Duration.ofSeconds(10))
        .until(() -> NoLeaks.markedCommandLines().isEmpty());
    assertThat(leftover).as("SIGKILL runs no cleanup").exists();

    CliProcess next = start(udf("fast.py", 0), in, "out.jsonl");
    assertThat(next.waitFor(Duration.ofSeconds(60))).as(next.stderr()).isZero();
    assertThat(leftover).as("removed by the next run").doesNotExist();
    assertThat(temporaries("out.jsonl")).isEmpty();
    assertThat(Files.readAllLines(dir.resolve("out.jsonl"), StandardCharsets.UTF_8))
        .isEqualTo(IntStream.range(0, 1000).mapToObj(Integer::toString).toList());
  }

  @Test
  void liveRunsTemporaryOutput_isLeftAlone_byAnotherRunInTheSameFolder() throws Exception {
    Path in = input(200);
    CliProcess live = start(udf("slow.py", 0.01), in, "a.jsonl");
    Path itsTemporary = awaitTemporary("a.jsonl");

    CliProcess other = start(udf("fast.py", 0), in, "b.jsonl");
    assertThat(other.waitFor(Duration.ofSeconds(60))).as(other.stderr()).isZero();
    assertThat(live.isAlive()).as("the slow run still runs: " + live.stderr()).isTrue();
    assertThat(itsTemporary).as("a live run's temporary output").exists();

    assertThat(live.waitFor(Duration.ofSeconds(60))).as(live.stderr()).isZero();
    List<String> expected = IntStream.range(0, 200).mapToObj(Integer::toString).toList();
    assertThat(Files.readAllLines(dir.resolve("a.jsonl"), StandardCharsets.UTF_8)).isEqualTo(expected);
    assertThat(Files.readAllLines(dir.resolve("b.jsonl"), StandardCharsets.UTF_8)).isEqualTo(expected);
  }
}
