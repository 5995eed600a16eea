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
  void of_callsMakeJobWithTheAbsolutePathTheFunctionTheFormatAndTheRecordRules() {
    String src = JobSource.of(Path.of("/tmp/x/../udf.py"), "f", InputFormat.CSV, new RecordRules(1 << 20, false));
    assertThat(src).isEqualTo("from pyworkers.jobs import make_job\njob = make_job('/tmp/udf.py', 'f', 'csv',"
        + " allow_nan=False, max_record_bytes=1048576)\n");
    assertThat(JobSource.of(Path.of("/u.py"), "g", InputFormat.JSONL, new RecordRules(2048, true)))
        .endsWith("make_job('/u.py', 'g', 'jsonl', allow_nan=True, max_record_bytes=2048)\n");
  }
}
