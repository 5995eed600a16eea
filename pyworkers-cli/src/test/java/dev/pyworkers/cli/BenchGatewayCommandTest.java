package dev.pyworkers.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.cli.testing.CliProcess;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestRun;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pyworkers bench gateway} with a real Python that lacks the driver (a fresh venv): one line naming that
 * Python and the fix, exit 2, nothing on stdout. The benchmark itself is not run here.
 */
@ExtendWith(NoLeaks.class)
class BenchGatewayCommandTest {
  @TempDir Path dir;

  @Test
  void pythonWithoutTheDriver_isOneLineWithTheFix_exitTwo() throws Exception {
    Path venv = dir.resolve("venv");
    Process mk = new ProcessBuilder(TestRun.python(), "-m", "venv", "--without-pip", venv.toString())
        .redirectErrorStream(true).start();
    String made = new String(mk.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(mk.waitFor(2, TimeUnit.MINUTES)).isTrue();
    assertThat(mk.exitValue()).as(made).isZero();
    String python = venv.resolve("bin").resolve("python").toString();

    CliProcess p = CliProcess.start(dir, "bench", "gateway", "--json", "--python", python);
    assertThat(p.waitFor(Duration.ofMinutes(1))).as(p.stderr()).isEqualTo(2);
    assertThat(p.stderr().strip()).isEqualTo("pyworkers bench gateway: the Python " + python + " cannot import"
        + " pyworkers.driver; install it with: " + python + " -m pip install ./pyworkers-gateway");
    assertThat(p.stdout()).isEmpty();
  }
}
