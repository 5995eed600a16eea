package dev.pyworkers.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.pyworkers.Pickles;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestRun;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The long-lived baseline process, for real: its answers, its errors, and that it never outlives its object. */
@ExtendWith(NoLeaks.class)
class ThroughputBaselineTest {
  private static final String PYTHON = TestRun.python();
  private static final Duration SHORT = Duration.ofSeconds(60);

  /** A stand-in script that answers every define right, then {@code reply} (a Python expression) to the rest. */
  private static String answeringDefinesThen(String reply) {
    return """
        import sys
        frames = -(-int(sys.argv[1]) // int(sys.argv[2]))
        while True:
            line = sys.stdin.readline()
            if not line:
                break
            w = line.split()
            print(("define %s %d" % (w[1], frames)) if w[0] == "define" else REPLY, flush=True)
        """.replace("REPLY", reply);
  }

  private static Set<Long> aliveChildren() {
    return ProcessHandle.current().children().filter(ProcessHandle::isAlive).map(ProcessHandle::pid)
        .collect(Collectors.toSet());
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  /** Starts a baseline that must fail; returns the failure after proving its process is gone. */
  private static IllegalStateException failsAndLeavesNoProcess(String executable, String script, Duration timeout,
      ThroughputFunction f) {
    Set<Long> before = aliveChildren();
    IllegalStateException e = catchThrowableOfType(() -> {
      try (ThroughputBaseline b = ThroughputBaseline.start(executable, script, 10, 4, timeout)) {
        b.loopNanos(f);
      }
    }, IllegalStateException.class);
    assertThat(e).as("the baseline must fail").isNotNull();
    Matcher pid = Pattern.compile("pid (\\d+)").matcher(e.getMessage());
    assertThat(pid.find()).as("the error names the pid: " + e.getMessage()).isTrue();
    assertThat(alive(Long.parseLong(pid.group(1)))).as("baseline pid " + pid.group(1)).isFalse();
    assertThat(aliveChildren()).isSubsetOf(before);
    return e;
  }

  @Test
  void start_answersEveryCommandOfEveryFunction_thenCloseLeavesNoProcess() {
    Set<Long> before = aliveChildren();
    ThroughputOptions options = new ThroughputOptions(PYTHON, 1000, 100, 1);
    long pid;
    try (ThroughputBaseline b = ThroughputBaseline.start(PythonInterpreter.resolve(PYTHON), options)) {
      pid = b.pid();
      assertThat(alive(pid)).isTrue();
      for (ThroughputFunction f : ThroughputFunction.values()) {
        for (int round = 0; round < 2; round++) {
          assertThat(b.loopNanos(f)).as(f + " loop").isPositive();
          assertThat(b.mapNanos(f)).as(f + " map").isPositive();
          assertThat(b.workerUdfNanos(f)).as(f + " worker UDF alone").isPositive();
          assertThat(b.workerNonUdfNanos(f)).as(f + " worker NON_UDF alone").isPositive();
        }
        ThroughputBaseline.Sample sample = b.sample(f);
        assertThat(sample.start()).isEqualTo(500); // the batch that holds the middle row
        List<?> values = (List<?>) Pickles.loads(sample.pickled());
        assertThat(values).hasSize(100);
        for (int i = 0; i < values.size(); i++) {
          Object v = values.get(i) instanceof Integer n ? Long.valueOf(n) : values.get(i);
          assertThat(f.matches(sample.start() + i, v)).as(f + " sample row " + (sample.start() + i) + ": " + v)
              .isTrue();
        }
      }
    }
    assertThat(alive(pid)).as("the baseline process after close()").isFalse();
    assertThat(aliveChildren()).isSubsetOf(before);
  }

  @Test
  void commands_afterClose_failNamingTheCommand() {
    ThroughputBaseline b = ThroughputBaseline.start(PYTHON, ThroughputBaseline.SCRIPT, 10, 4, SHORT);
    b.close();
    b.close(); // idempotent
    assertThatThrownBy(() -> b.mapNanos(ThroughputFunction.INC))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("the in-process baseline was closed before 'map inc'; start a new one");
    assertThat(alive(b.pid())).isFalse();
  }

  @Test
  void start_whenThePythonExits_reportsItsExitCodeAndStderr() {
    IllegalStateException e = failsAndLeavesNoProcess(PYTHON,
        "import sys\nsys.stderr.write('Traceback: boom\\n')\nsys.exit(3)\n", SHORT, ThroughputFunction.IDENTITY);
    assertThat(e.getMessage())
        .startsWith("the in-process baseline (" + PYTHON + ", pid ")
        .contains(") ended before it answered 'define identity'; it exited with code 3;")
        .endsWith("; its stderr: Traceback: boom");
  }

  @Test
  void command_thatTakesLongerThanTheTimeout_killsTheProcess() {
    IllegalStateException e = failsAndLeavesNoProcess(PYTHON, answeringDefinesThen("__import__('time').sleep(600)"),
        Duration.ofSeconds(1), ThroughputFunction.STR);
    assertThat(e.getMessage()).contains(") did not answer 'loop str' within 1 s; try fewer --rows");
  }

  @Test
  void answer_thatIsNotTheProtocol_isQuotedInTheError() {
    IllegalStateException e = failsAndLeavesNoProcess(PYTHON, answeringDefinesThen("'hello there'"), SHORT,
        ThroughputFunction.INC);
    assertThat(e.getMessage()).contains(") answered 'loop inc' with an unexpected line: 'hello there' (expected 3"
        + " words starting with 'loop inc'); the baseline script and ThroughputBaseline.java disagree");
  }

  @Test
  void answer_whoseTimeIsNotANumber_isQuotedInTheError() {
    IllegalStateException e = failsAndLeavesNoProcess(PYTHON, answeringDefinesThen("'loop inc 12x'"), SHORT,
        ThroughputFunction.INC);
    assertThat(e.getMessage()).contains(") answered 'loop inc' with '12x' where a whole number belongs;");
  }

  @Test
  void define_thatBuildsTheWrongNumberOfBatches_fails() {
    IllegalStateException e = failsAndLeavesNoProcess(PYTHON,
        "import sys\nfor line in iter(sys.stdin.readline, ''):\n    print('define', line.split()[1], 7, flush=True)\n",
        SHORT, ThroughputFunction.IDENTITY);
    assertThat(e.getMessage()).contains(") built 7 batches of identity values, expected 3 for 10 rows in batches"
        + " of 4;");
  }

  @Test
  void start_withAMissingExecutable_saysWhatToGive() {
    assertThatThrownBy(() -> ThroughputBaseline.start("/no/such/python3", ThroughputBaseline.SCRIPT, 10, 4, SHORT))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("cannot start the in-process baseline with Python executable '/no/such/python3': ")
        .hasMessageEndingWith("; give a path or a name on PATH of a working Python 3");
  }
}
