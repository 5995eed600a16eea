package dev.pyworkers.internal.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Only our own folders with a dead owner's stamp are removed, and never through a link. */
class LeftoversTest {
  @TempDir Path shared;

  /** A stamp no live process has: this JVM's pid with another start time. */
  static OwnerStamp dead() {
    OwnerStamp me = OwnerStamp.current();
    return new OwnerStamp(me.pid(), me.startMillis() - 3_600_000);
  }

  /** A folder as {@link PrivateFolder#createSweepable} makes it, for {@code stamp}, with its owner file. */
  Path folder(OwnerStamp stamp, String prefix) throws IOException {
    return folder(stamp, prefix, OwnerStamp.pidSpace());
  }

  Path folder(OwnerStamp stamp, String prefix, String pidSpace) throws IOException {
    Path dir = Files.createDirectory(shared.resolve(prefix + stamp.text() + "-123"));
    Files.writeString(dir.resolve(PrivateFolder.OWNER_FILE), stamp.text() + "\n" + pidSpace + "\n");
    return dir;
  }

  @Test
  void removeDead_removesOurDeadOwnersFolders_andLeavesTheRest() throws IOException {
    Path deadOne = folder(dead(), "pyw-");
    Files.writeString(deadOne.resolve("d1.sock"), "");
    Path live = folder(OwnerStamp.current(), "pyw-");
    Path otherPrefix = folder(dead(), "pyworkers-runner-");
    Path noStamp = Files.createDirectory(shared.resolve("pyw-12345"));
    Path foreign = folder(new OwnerStamp(dead().pid(), dead().startMillis() - 1), "pyw-");
    PrivateFolderTest.giveToNobody(foreign);

    assertThat(Leftovers.removeDead(shared, "pyw-")).containsExactly(deadOne);

    assertThat(deadOne).doesNotExist();
    assertThat(live).isDirectory();
    assertThat(otherPrefix).isDirectory();
    assertThat(noStamp).isDirectory();
    assertThat(foreign).as("another user's folder is never touched").isDirectory();
  }

  @Test
  void removeDead_aFolderOfAnotherPidSpace_orWithoutOwnerFile_isLeftAlone() throws IOException {
    Path otherContainer = folder(dead(), "pyw-", "another-boot pid:[1]");
    Path noOwnerFile = Files.createDirectory(shared.resolve("pyw-" + new OwnerStamp(dead().pid(),
        dead().startMillis() - 1).text() + "-7"));

    assertThat(Leftovers.removeDead(shared, "pyw-")).isEmpty();

    assertThat(otherContainer).isDirectory();
    assertThat(noOwnerFile).isDirectory();
  }

  @Test
  void createSweepable_writesTheOwnerFile_soItsOwnLeftoverCanBeJudged() throws IOException {
    Path made = PrivateFolder.createSweepable(shared, "pyw-");
    assertThat(Files.readAllLines(made.resolve(PrivateFolder.OWNER_FILE)))
        .containsExactly(OwnerStamp.current().text(), OwnerStamp.pidSpace());
  }

  @Test
  void removeDead_aLinkNamedLikeALeftover_isNotFollowedAndItsTargetStays() throws IOException {
    Path victim = Files.createDirectory(shared.resolve("victim"));
    Files.writeString(victim.resolve("keep.txt"), "precious");
    Path link = Files.createSymbolicLink(shared.resolve("pyw-" + dead().text() + "-9"), victim);

    assertThat(Leftovers.removeDead(shared, "pyw-")).isEmpty();

    assertThat(link).isSymbolicLink();
    assertThat(Files.readString(victim.resolve("keep.txt"))).isEqualTo("precious");
  }

  @Test
  void deleteTree_removesLinksInside_butNeverTheirTargets() throws IOException {
    Path victim = Files.createDirectory(shared.resolve("victim"));
    Files.writeString(victim.resolve("keep.txt"), "precious");
    Path tree = folder(dead(), "pyworkers-runner-");
    Files.createDirectories(tree.resolve("faulthandler"));
    Files.createSymbolicLink(tree.resolve("faulthandler/4242"), victim.resolve("keep.txt"));
    Files.createSymbolicLink(tree.resolve("dirlink"), victim);

    Leftovers.deleteTree(tree);

    assertThat(tree).doesNotExist();
    assertThat(Files.readString(victim.resolve("keep.txt"))).isEqualTo("precious");
  }
}
