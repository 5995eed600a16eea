package dev.pyworkers.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pyworkers.cli.testing.CliProcess;
import dev.pyworkers.testing.NoLeaks;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Ctrl-C at any moment of start-up (JVM boot, registry, Python daemon start, first fork, handshake, first task):
 * exit 130, nothing left in the run's private temporary folder (no {@code pyw-*} socket folder, no runner folder),
 * no Python process, and no false warning about an unreachable daemon or a broken handshake. Ctrl-C is SIGINT to the
 * whole process group, as a terminal sends it.
 */
@ExtendWith(NoLeaks.class)
class RunEarlyInterruptTest {
  @TempDir Path dir;

  static List<String> names(Path folder) throws Exception {
    try (Stream<Path> s = Files.list(folder)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @ParameterizedTest(name = "Ctrl-C {0} ms after the start")
  @ValueSource(ints = {0, 50, 100, 150, 200, 250, 300, 400, 500, 600, 700, 800, 1000})
  void ctrlCInTheFirstSecond_exits130_leavesNoFolderNoProcessAndNoWarning(int afterMillis) throws Exception {
    Path tmp = Files.createDirectory(dir.resolve("tmp"));
    Files.writeString(dir.resolve("slow.py"), "import time\ndef f(r):\n    time.sleep(0.01)\n    return r\n");
    Path in = Files.writeString(dir.resolve("in.jsonl"), IntStream.range(0, 2000)
        .mapToObj(i -> "{\"i\": " + i + "}").collect(Collectors.joining("\n", "", "\n")), StandardCharsets.UTF_8);
    Path out = dir.resolve("out.jsonl");
    CliProcess p = CliProcess.startInOwnSession(dir, tmp, "run", "--udf", dir.resolve("slow.py") + ":f",
        "--input", in.toString(), "--output", out.toString(), "--workers", "2", "--python", RunCommandTest.PYTHON);
    if (afterMillis > 0) Thread.sleep(afterMillis);  // the moment of the Ctrl-C is the test's input, not a wait
    p.signalGroup("INT");
    int code = p.waitFor(Duration.ofSeconds(20));
    String stderr = p.stderr();
    assertThat(code).as("exit code; stderr:\n%s", stderr).isEqualTo(130);
    assertThat(stderr).as("stderr").doesNotContain("WARN").doesNotContain("unreachable")
        .doesNotContain("broke off").doesNotContain("Exception");
    await("no Python process of the run is alive").atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(20)).until(() -> NoLeaks.markedCommandLines().isEmpty());
    assertThat(names(tmp)).as("left in the run's temporary folder; stderr:\n%s", stderr).isEmpty();
    assertThat(Files.exists(out)).isFalse();
  }
}
