package dev.pyworkers.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.cli.run.ExitCode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code pyworkers run --help} and the argument checks; none of these start a Python process. */
class RunOptionsTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  @TempDir Path dir;

  private int run(String... args) {
    CommandLine cmd = Main.commandLine();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    return cmd.execute(args);
  }

  private String[] valid(String... overrides) throws Exception {
    Files.writeString(dir.resolve("f.py"), "def f(r):\n    return r\n");
    Files.writeString(dir.resolve("in.jsonl"), "{}\n");
    java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("run", "--udf", dir.resolve("f.py")
        + ":f", "--input", dir.resolve("in.jsonl").toString(), "--output", dir.resolve("out.jsonl").toString()));
    args.addAll(java.util.List.of(overrides));
    return args.toArray(String[]::new);
  }

  @Test
  void help_explainsEveryOptionAndEveryExitCode() {
    assertThat(run("run", "--help")).isZero();
    String help = out.toString();
    assertThat(help).contains("Usage: pyworkers run", "--udf=FILE.py:FUNC", "--input=IN", "--output=OUT",
        "--format=FORMAT", "--workers=N", "--batch-size=N", "--partition-size=SIZE", "--python=EXE",
        "--[no-]progress", "--verbose", "--help", "--version", "jsonl: the parsed JSON value",
        "csv: a dict of column name to string", "text: the line as a str", "Exit codes:");
    for (ExitCode c : ExitCode.values()) {
      assertThat(help).as("exit code %s is documented", c).containsPattern("(?m)^\\s+" + c.code() + "\\s+\\S");
    }
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void runIsListedInTheTopLevelHelp() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString()).contains("run ").contains("bench");
  }

  @Test
  void missingRequiredOptions_exitTwo() {
    assertThat(run("run")).isEqualTo(2);
    assertThat(err.toString()).contains("Missing required options").contains("--udf").contains("--input");
  }

  @Test
  void unknownExtension_withoutFormat_exitsTwo() throws Exception {
    Files.writeString(dir.resolve("in.dat"), "x\n");
    String[] args = valid();
    args[4] = dir.resolve("in.dat").toString();
    assertThat(run(args)).isEqualTo(2);
    assertThat(err.toString()).contains("cannot tell the format of --input").contains("give --format jsonl, csv or text");
  }

  @Test
  void badValues_exitTwoNamingTheOption() throws Exception {
    assertThat(run(valid("--workers", "0"))).isEqualTo(2);
    assertThat(err.toString()).contains("--workers must be between 1 and 1024, got 0");
    assertThat(run(valid("--batch-size", "0"))).isEqualTo(2);
    assertThat(err.toString()).contains("--batch-size must be at least 1, got 0");
    assertThat(run(valid("--partition-size", "lots"))).isEqualTo(2);
    assertThat(err.toString()).contains("--partition-size 'lots' is not a size");
    for (String outOfRange : List.of("0", "65m", "1g")) {
      assertThat(run(valid("--partition-size", outOfRange))).isEqualTo(2);
      assertThat(err.toString()).contains("--partition-size '" + outOfRange + "' must be between 1 (one record per"
          + " partition) and 64m");
    }
    assertThat(run(valid("--format", "xml"))).isEqualTo(2);
    assertThat(err.toString()).contains("--format");
    assertThat(run(valid("--python", "/no/such/python"))).isEqualTo(2);
    assertThat(err.toString()).contains("--python /no/such/python is not an executable file");
    assertThat(run(valid("--python", "no-such-python-anywhere"))).isEqualTo(2);
    assertThat(err.toString()).contains("--python no-such-python-anywhere is not found on PATH");
  }

  @Test
  void badDurations_exitTwoNamingTheOptionTheValueAndTheAcceptedForms() throws Exception {
    for (String[] bad : new String[][] {{"--stall-warning", "5x"}, {"--task-timeout", "-1s"},
        {"--task-timeout", "1.5s"}, {"--stall-warning", "s"}}) {
      err.getBuffer().setLength(0);
      assertThat(run(valid(bad))).as(String.join(" ", bad)).isEqualTo(2);
      assertThat(err.toString()).contains(bad[0] + " '" + bad[1] + "' is not a duration; give a whole number with ms,"
          + " s, m or h (e.g. 500ms, 5s, 2m, 1h), or 0 to turn it off");
    }
    assertThat(run(valid("--task-timeout", "25h"))).isEqualTo(2);
    assertThat(err.toString()).contains("--task-timeout '25h' is longer than the maximum of 1 day (24h)");
    out.getBuffer().setLength(0);
    assertThat(run("run", "--help")).isZero();
    assertThat(out.toString()).contains("--stall-warning=DURATION", "--task-timeout=DURATION", "default: 60s");
  }

  @Test
  void badPaths_exitTwo() throws Exception {
    String[] noColon = valid();
    noColon[2] = dir.resolve("f.py").toString();
    assertThat(run(noColon)).isEqualTo(2);
    assertThat(err.toString()).contains("is not FILE.py:FUNC");
    String[] missingInput = valid();
    missingInput[4] = dir.resolve("nope.jsonl").toString();
    assertThat(run(missingInput)).isEqualTo(2);
    assertThat(err.toString()).contains("--input " + dir.resolve("nope.jsonl") + " does not exist");
    String[] noFolder = valid();
    noFolder[6] = dir.resolve("no/such/dir/out.jsonl").toString();
    assertThat(run(noFolder)).isEqualTo(2);
    assertThat(err.toString()).contains("does not exist; create it first");
    String[] sameFile = valid();
    sameFile[6] = sameFile[4];
    assertThat(run(sameFile)).isEqualTo(2);
    assertThat(err.toString()).contains("is the input file");
  }
}
