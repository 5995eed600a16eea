package dev.pyworkers.spi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SPI's private folders: made new with mode 0700, deleted whole without following links, live ones kept. */
class PrivateFoldersTest {
  @TempDir Path shared;

  @Test
  void create_makesANewOwnerOnlyFolder_withTheOwnerStampInItsName() throws IOException {
    Path a = PrivateFolders.create(shared, "pwt-");
    Path b = PrivateFolders.create(shared, "pwt-");

    assertThat(a).isDirectory().isNotEqualTo(b);
    assertThat(a.getFileName().toString()).matches("pwt-p" + ProcessHandle.current().pid() + "-[0-9a-z]+-.+");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(a, LinkOption.NOFOLLOW_LINKS)))
        .isEqualTo("rwx------");
  }

  @Test
  void delete_removesTheFolderAndItsFiles_butNotWhatALinkInsidePointsTo() throws IOException {
    Path outside = Files.writeString(shared.resolve("outside.txt"), "keep");
    Path dir = PrivateFolders.create(shared, "pwt-");
    Files.writeString(dir.resolve("batch-1"), "x");
    Files.createSymbolicLink(dir.resolve("link"), outside);

    PrivateFolders.delete(dir);
    PrivateFolders.delete(dir); // already gone: no error

    assertThat(dir).doesNotExist();
    assertThat(outside).hasContent("keep");
  }

  @Test
  void removeLeftoversOnce_leavesTheFolderOfALiveProcess() throws IOException {
    Path live = PrivateFolders.create(shared, "pwt-");

    PrivateFolders.removeLeftoversOnce(shared, "pwt-");

    assertThat(live).isDirectory();
  }
}
