package dev.pyworkers.internal.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Private folders in a shared place: made like mkdtemp, and a fixed-name folder refused when it is a link, another
 * user's, or writable by others. Another user is simulated by giving a folder to {@code nobody}, which needs root;
 * without it those cases are skipped.
 */
class PrivateFolderTest {
  @TempDir Path shared;

  /** Gives {@code p} to the user nobody, as if another user had made it; skips the test when that needs root. */
  static void giveToNobody(Path p) throws IOException {
    UserPrincipal nobody = p.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
    try {
      Files.setOwner(p, nobody);
    } catch (IOException e) {
      assumeTrue(false, "cannot chown to nobody (not root): " + e);
    }
  }

  static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void create_makesAFresh0700FolderNamedWithTheOwnerStamp() throws IOException {
    Path a = PrivateFolder.create(shared, "pyw-");
    Path b = PrivateFolder.create(shared, "pyw-");
    assertThat(a).isNotEqualTo(b);
    assertThat(mode(a)).isEqualTo("rwx------");
    assertThat(a.getFileName().toString()).startsWith("pyw-" + OwnerStamp.current().text() + "-");
    assertThat(OwnerStamp.find(a.getFileName().toString())).contains(OwnerStamp.current());
  }

  @Test
  void ensureOwned_createsAMissingFolder0700_andAcceptsItsOwnAgain() throws IOException {
    Path cache = shared.resolve("a/b/cache");
    PrivateFolder.ensureOwned(cache);
    assertThat(mode(cache)).isEqualTo("rwx------");
    PrivateFolder.ensureOwned(cache);
  }

  @Test
  void ensureOwned_plantedSymlink_isRefusedAndNotFollowed() throws IOException {
    Path victim = Files.createDirectory(shared.resolve("victim"));
    Path link = Files.createSymbolicLink(shared.resolve("cache"), victim);
    assertThatThrownBy(() -> PrivateFolder.ensureOwned(link))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(link + " is a symbolic link (to " + victim + ")")
        .hasMessageContaining("remove it or choose another folder");
  }

  @Test
  void ensureOwned_folderOfAnotherUser_isRefused() throws IOException {
    Path foreign = Files.createDirectory(shared.resolve("foreign"));
    giveToNobody(foreign);
    assertThatThrownBy(() -> PrivateFolder.ensureOwned(foreign))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("folder " + foreign + " belongs to nobody, not to " + System.getProperty("user.name"))
        .hasMessageContaining("another user made it first");
  }

  @Test
  void ensureOwned_groupOrOtherWritable_isRefusedWithTheModeAndTheFix() throws IOException {
    Path group = Files.createDirectory(shared.resolve("group"));
    Files.setPosixFilePermissions(group, PosixFilePermissions.fromString("rwxrwx---"));
    assertThatThrownBy(() -> PrivateFolder.ensureOwned(group))
        .hasMessageContaining("has mode rwxrwx---, writable by other users; run chmod 700 on it");
    Path other = Files.createDirectory(shared.resolve("other"));
    Files.setPosixFilePermissions(other, PosixFilePermissions.fromString("rwxr-xrwx"));
    assertThatThrownBy(() -> PrivateFolder.ensureOwned(other)).hasMessageContaining("has mode rwxr-xrwx");
  }

  @Test
  void ensureOwned_aFileInThePlace_isRefused() throws IOException {
    Path file = Files.writeString(shared.resolve("cache"), "x");
    assertThatThrownBy(() -> PrivateFolder.ensureOwned(file)).hasMessageContaining("exists but is not a folder");
  }

  @Test
  void checkOwnedExact_wants0700() throws IOException {
    Path dir = Files.createDirectory(shared.resolve("d"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    PrivateFolder.checkOwned(dir, false);
    assertThatThrownBy(() -> PrivateFolder.checkOwned(dir, true)).hasMessageContaining("not rwx------");
  }

  @Test
  void writeNewFile_is0600_andAPlantedLinkIsNeitherFollowedNorTruncated() throws IOException {
    Path dir = PrivateFolder.create(shared, "pyworkers-runner-");
    Path file = PrivateFolder.writeNewFile(dir.resolve("broadcast-1.pickle"), new byte[] {1, 2, 3});
    assertThat(mode(file)).isEqualTo("rw-------");
    assertThat(Files.readAllBytes(file)).containsExactly(1, 2, 3);

    Path victim = Files.writeString(shared.resolve("victim.txt"), "precious");
    Path link = Files.createSymbolicLink(dir.resolve("broadcast-2.pickle"), victim);
    assertThatThrownBy(() -> PrivateFolder.writeNewFile(link, new byte[] {9}))
        .isInstanceOf(FileAlreadyExistsException.class);
    assertThat(Files.readString(victim)).isEqualTo("precious");
  }
}
