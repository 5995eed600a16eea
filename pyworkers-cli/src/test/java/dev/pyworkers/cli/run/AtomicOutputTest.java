package dev.pyworkers.cli.run;

import static org.assertj.core.api.Assertions.assertThat;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.internal.files.OwnerStamp;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The output is written beside its target and only ever appears whole; its temporary and spill files never follow a
 * planted link and are gone after commit and abort. No processes.
 */
class AtomicOutputTest {
  @TempDir Path dir;

  @Test
  void commit_renamesTheTemporaryFileOverTheTarget() throws Exception {
    Path target = Files.writeString(dir.resolve("out.jsonl"), "old\n");
    try (AtomicOutput out = AtomicOutput.create(target)) {
      assertThat(out.temporaryFile().getParent()).isEqualTo(dir.toAbsolutePath());
      assertThat(out.temporaryFile().getFileName().toString()).matches(
          "\\.out\\.jsonl\\.pyworkers-h[0-9a-f]{8}-" + OwnerStamp.current().text() + "-[0-9a-f]{12}\\.tmp");
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

  @Test
  void spillFiles_areDeletedByCommit_andByAbort() throws Exception {
    Path target = dir.resolve("out.jsonl");
    try (AtomicOutput out = AtomicOutput.create(target)) {
      AtomicOutput.SpillFile a = out.newSpill();
      AtomicOutput.SpillFile b = out.newSpill();
      a.stream().close();
      b.stream().close();
      assertThat(b.path().getFileName().toString()).isEqualTo(
          out.temporaryFile().getFileName().toString().replace(".tmp", ".spill-1.tmp"));
      out.release(a.path());
      assertThat(a.path()).doesNotExist();
      assertThat(b.path()).exists();
      assertThat(out.commit()).isTrue();
      assertThatThrownBy(out::newSpill).isInstanceOf(IOException.class).hasMessageContaining("already committed");
    }
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactly(target);
    }
    AtomicOutput out = AtomicOutput.create(target);
    try (OutputStream s = out.newSpill().stream()) {
      s.write(new byte[100]);
    }
    assertThat(out.abort()).isTrue();
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactly(target);
    }
  }

  @Test
  void plantedLinkAtTheTemporaryName_isNotFollowed() throws Exception {
    Path victim = Files.writeString(dir.resolve("victim.txt"), "precious\n");
    Path target = dir.resolve("out.jsonl");
    TemporaryName name = TemporaryName.of(target, "0123456789ab");
    Path link = Files.createSymbolicLink(dir.resolve(name.output()), victim);
    assertThatThrownBy(() -> AtomicOutput.create(target, name))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("cannot create the temporary file " + link)
        .hasMessageContaining("a symbolic link, which pyworkers never follows");
    assertThat(Files.readString(victim)).isEqualTo("precious\n");
    assertThat(Files.isSymbolicLink(link)).isTrue();
    assertThat(target).doesNotExist();
  }

  @Test
  void plantedLinkAtASpillName_isNotFollowed_andLeftAlone() throws Exception {
    Path victim = Files.writeString(dir.resolve("victim.txt"), "precious\n");
    Path target = dir.resolve("out.jsonl");
    TemporaryName name = TemporaryName.of(target, "ba9876543210");
    Path link = Files.createSymbolicLink(dir.resolve(name.spill(0)), victim);
    AtomicOutput out = AtomicOutput.create(target, name);
    assertThatThrownBy(out::newSpill).isInstanceOf(IOException.class)
        .hasMessageContaining("a symbolic link, which pyworkers never follows");
    assertThat(out.abort()).isTrue();
    assertThat(Files.readString(victim)).isEqualTo("precious\n");
    assertThat(Files.isSymbolicLink(link)).as("not ours: left in place").isTrue();
  }

  @Test
  void targetThatIsALink_isReplacedByTheOutput_andWhatItPointedToIsUntouched() throws Exception {
    Path victim = Files.writeString(dir.resolve("victim.txt"), "precious\n");
    Path target = Files.createSymbolicLink(dir.resolve("out.jsonl"), victim);
    try (AtomicOutput out = AtomicOutput.create(target)) {
      byte[] b = "new\n".getBytes(StandardCharsets.UTF_8);
      out.write(b, 0, b.length);
      assertThat(out.commit()).isTrue();
    }
    assertThat(Files.isSymbolicLink(target)).isFalse();
    assertThat(Files.readString(target)).isEqualTo("new\n");
    assertThat(Files.readString(victim)).isEqualTo("precious\n");
  }
}
