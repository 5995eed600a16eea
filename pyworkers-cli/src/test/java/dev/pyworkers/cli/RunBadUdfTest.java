package dev.pyworkers.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.cli.testing.CliProcess;
import dev.pyworkers.testing.NoLeaks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A bad {@code --udf} fails with exit code 2 and a clear message before any input is read. The proof that nothing
 * is read: the input is a named pipe that nobody writes to, so opening it for reading would block the command
 * until the test's time limit.
 */
@ExtendWith(NoLeaks.class)
class RunBadUdfTest {
  @TempDir Path dir;
  Path fifo;

  @BeforeEach
  void makeFifo() throws Exception {
    fifo = dir.resolve("never-written.jsonl");
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
    assertThat(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0).as("mkfifo").isTrue();
    Files.writeString(dir.resolve("udf.py"), "import json\nX = 5\n\ndef f(r):\n    return r\n\n"
        + "def two(a, b):\n    return a\n");
    Files.writeString(dir.resolve("syntax.py"), "def f(r):\n    return r +\n");
    Files.writeString(dir.resolve("raises.py"), "import json\nraise RuntimeError('cannot start: no config')\n");
  }

  @ParameterizedTest(name = "{0}:{1}")
  @CsvSource(delimiter = '|', value = {
      "missing.py|f|--udf file DIR/missing.py does not exist",
      "udf.py|nope|bad --udf: DIR/udf.py defines no function 'nope'; its functions are: f, two",
      "udf.py|X|bad --udf: 'X' in DIR/udf.py is not callable: it is int '5'",
      "udf.py|two|bad --udf: two(a, b) in DIR/udf.py cannot be called with one argument",
      "syntax.py|f|bad --udf: syntax error in DIR/syntax.py line 2: invalid syntax ('return r +')",
      "raises.py|f|bad --udf: running DIR/raises.py raised RuntimeError: cannot start: no config",
      "udf.py|not-an-identifier|--udf function name 'not-an-identifier' is not a Python identifier",
  })
  void badUdf_exitsTwo_beforeReadingAnyInput(String file, String function, String message) throws Exception {
    CliProcess p = CliProcess.start(dir, "run", "--udf", dir.resolve(file) + ":" + function,
        "--input", fifo.toString(), "--output", dir.resolve("out.jsonl").toString(),
        "--python", RunCommandTest.PYTHON);
    int code = p.waitFor(Duration.ofSeconds(30));
    assertThat(code).as(p.stderr()).isEqualTo(2);
    assertThat(p.stderr()).contains(message.replace("DIR", dir.toString()));
    assertThat(Files.exists(dir.resolve("out.jsonl"))).isFalse();
  }
}
