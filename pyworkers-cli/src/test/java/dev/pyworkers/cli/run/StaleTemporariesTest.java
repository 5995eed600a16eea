package dev.pyworkers.cli.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.internal.files.OwnerStamp;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Only the temporary files of dead runs are removed: exact names, this machine, a dead owner, regular files of this
 * user, never through a link. A dead owner is this JVM's pid with another start time (a recycled pid). No processes.
 */
class StaleTemporariesTest {
  static final OwnerStamp LIVE = OwnerStamp.current();
  static final OwnerStamp DEAD = new OwnerStamp(LIVE.pid(), LIVE.startMillis() - 86_400_000L);

  @TempDir Path dir;

  Path file(String name) throws Exception {
    return Files.writeString(dir.resolve(name), "partial\n");
  }

  @Test
  void removesDeadRunsFiles_forAnyOutInTheFolder_andNothingElse() throws Exception {
    Path deadOut = file(TemporaryName.of("out.jsonl", DEAD, "0123456789ab").output());
    Path deadSpill = file(TemporaryName.of("other.jsonl", DEAD, "0123456789ab").spill(3));
    Path live = file(TemporaryName.of("out.jsonl", LIVE, "0123456789ab").output());
    Path lookAlike = file(TemporaryName.of("out.jsonl", DEAD, "0123456789ab").output() + ".bak");
    Path otherHost = file(".out.jsonl.pyworkers-h00000000-" + DEAD.text() + "-0123456789ab.tmp");
    Path oldStyle = file(".out.jsonl.pyworkers-0123456789ab.tmp");
    Path folder = Files.createDirectory(dir.resolve(TemporaryName.of("out.jsonl", DEAD, "aaaaaaaaaaaa").output()));
    Path victim = file("victim.txt");
    Path link = Files.createSymbolicLink(dir.resolve(TemporaryName.of("out.jsonl", DEAD, "bbbbbbbbbbbb").output()),
        victim);

    assertThat(StaleTemporaries.removeIn(dir)).containsExactlyInAnyOrder(deadOut, deadSpill);

    assertThat(deadOut).doesNotExist();
    assertThat(deadSpill).doesNotExist();
    assertThat(live).exists();
    assertThat(lookAlike).exists();
    assertThat(otherHost).exists();
    assertThat(oldStyle).exists();
    assertThat(folder).isDirectory();
    assertThat(Files.isSymbolicLink(link)).isTrue();
    assertThat(Files.readString(victim)).isEqualTo("partial\n");
  }

  @Test
  void creatingAnOutput_removesTheDeadRunsTemporaryOutput() throws Exception {
    Path dead = file(TemporaryName.of("out.jsonl", DEAD, "0123456789ab").output());
    try (AtomicOutput out = AtomicOutput.create(dir.resolve("out.jsonl"))) {
      assertThat(dead).doesNotExist();
      assertThat(out.temporaryFile()).exists();
    }
  }
}
