package dev.pyworkers.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NoLeaks.class)
class TestRunTest {
  @Test
  void fakes_isTheSourceFolderOfThePeers() {
    assertThat(TestRun.fakes()).isDirectory();
    assertThat(TestRun.fakes().resolve("fake_peer.py")).isRegularFile();
    assertThat(TestRun.fakes().resolve("pwfake_task_functions.py")).isRegularFile();
    assertThat(TestRun.pythonSources().resolve("pyworkers_testing/harness.py")).isRegularFile();
  }

  @Test
  void environment_addsTheMarkerAndAppendsTheFakesToPythonPath() {
    Map<String, String> env = TestRun.environment(Map.of("PYTHONPATH", "/mine", "X", "1"));
    assertThat(env).containsEntry(TestRun.MARKER, TestRun.RUN_ID).containsEntry("X", "1")
        .containsEntry("PYTHONPATH", "/mine" + File.pathSeparator + TestRun.fakes());
    assertThat(TestRun.environment()).containsEntry("PYTHONPATH", TestRun.fakes().toString());
  }

  @Test
  void childJvm_inheritsThePythonTheRunIdAndTheMarker() throws Exception {
    Process child = TestRun.childJvm(Child.class.getName()).redirectErrorStream(true).start();
    assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(out).isEqualTo(TestRun.python() + " " + TestRun.RUN_ID + " " + TestRun.RUN_ID);
    assertThat(child.exitValue()).isZero();
  }

  /** Prints what it inherited: the Python under test, its run id, and its marker variable. */
  public static final class Child {
    public static void main(String[] args) {
      System.out.println(TestRun.python() + " " + TestRun.RUN_ID + " " + System.getenv(TestRun.MARKER));
    }
  }

  @Test
  void fakes_areImportableByTheTestPython() throws Exception {
    ProcessBuilder pb = new ProcessBuilder(TestRun.python(), "-c", "import custom_tz; print(custom_tz.__file__)");
    pb.environment().putAll(TestRun.environment(Map.of()));
    Process python = pb.redirectErrorStream(true).start();
    assertThat(python.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip())
        .isEqualTo(TestRun.fakes().resolve("custom_tz.py").toString());
    assertThat(Files.exists(TestRun.fakes().resolve("custom_tz.py"))).isTrue();
  }
}
