package dev.pyworkers.cli.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The output is written beside its target and only ever appears whole. No processes. */
class AtomicOutputTest {
  @TempDir Path dir;

  @Test
  void commit_renamesTheTemporaryFileOverTheTarget() throws Exception {
    Path target = Files.writeString(dir.resolve("out.jsonl"), "old\n");
    try (AtomicOutput out = AtomicOutput.create(target)) {
      assertThat(out.temporaryFile().getParent()).isEqualTo(dir.toAbsolutePath());
      assertThat(out.temporaryFile().getFileName().toString()).matches("\\.out\\.jsonl\\.pyworkers-[0-9a-f]{12}\\.tmp");
      byte[] b = "new\n".getBytes(StandardCharsets.UTF_8);
      out.write(b, 0, b.length);
      assertThat(Files.readString(target)).as("untouched until the commit").isEqualTo("old\n");
      assertThat(out.commit()).isTrue();
      assertThat(out.abort()).as("too late to abort").isFalse();
    }
    assertThat(Files.readString(target)).isEqualTo("new\n");
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactly(target);
    }
  }

  @Test
  void abort_deletesTheTemporaryFile_andKeepsAnOldTarget() throws Exception {
    Path target = Files.writeString(dir.resolve("out.jsonl"), "old\n");
    AtomicOutput out = AtomicOutput.create(target);
    out.write(new byte[100], 0, 100);
    assertThat(out.abort()).isTrue();
    assertThat(out.commit()).isFalse();
    assertThat(out.abort()).isTrue();
    assertThat(Files.readString(target)).isEqualTo("old\n");
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactly(target);
    }
  }

  @Test
  void closeWithoutCommit_leavesNothing() throws Exception {
    Path target = dir.resolve("out.jsonl");
    try (AtomicOutput out = AtomicOutput.create(target)) {
      out.write(new byte[10], 0, 10);
    }
    try (var files = Files.list(dir)) {
      assertThat(files).isEmpty();
    }
  }
}
