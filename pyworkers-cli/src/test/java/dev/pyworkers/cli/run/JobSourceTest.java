package dev.pyworkers.cli.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The job's Python source passes paths and names as exact ASCII literals. No processes. */
class JobSourceTest {
  @Test
  void literal_escapesQuotesBackslashesControlAndNonAsciiCharacters() {
    assertThat(JobSource.literal("plain/path.py")).isEqualTo("'plain/path.py'");
    assertThat(JobSource.literal("it's a\\b\n\t\u00e9\u20ac\uD83D\uDE00"))
        .isEqualTo("'it\\'s a\\\\b\\x0a\\x09\\xe9\\u20ac\\U0001f600'");
  }

  @Test
  void of_callsMakeJobWithTheAbsolutePathTheFunctionAndTheFormat() {
    String src = JobSource.of(Path.of("/tmp/x/../udf.py"), "f", InputFormat.CSV);
    assertThat(src).isEqualTo("from pyworkers.jobs import make_job\njob = make_job('/tmp/udf.py', 'f', 'csv')\n");
  }
}
