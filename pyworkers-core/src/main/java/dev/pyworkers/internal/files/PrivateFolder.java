package dev.pyworkers.internal.files;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Set;

/**
 * Folders that only this user can enter, made and checked like Python's {@code tempfile.mkdtemp}: a fresh random
 * name created atomically with mode 0700, never a folder that already existed, never through a symbolic link. A
 * folder that must have a fixed name (a cache) is checked instead: a real folder (not a link), owned by this user,
 * writable by nobody else. Stateless; thread-safe.
 */
public final class PrivateFolder {
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> OWNER_READ_WRITE = PosixFilePermissions.fromString("rw-------");

  private PrivateFolder() {}

  /**
   * Name of the file in each folder made by {@link #createSweepable} that holds the owner stamp and {@link
   * OwnerStamp#pidSpace()}, so that a later process judges the stamp only within the same pid space.
   */
  public static final String OWNER_FILE = ".owner";

  /**
   * Creates {@code <parent>/<prefix><owner stamp>-<random>} with mode 0700 and returns it. {@code parent} itself is
   * created if missing; it may be shared (like /tmp), and it must not be a link to elsewhere only if we create it.
   */
  public static Path create(Path parent, String prefix) throws IOException {
    if (!Files.isDirectory(parent)) Files.createDirectories(parent);
    Path dir = posix(parent)
        ? Files.createTempDirectory(parent, prefix + OwnerStamp.current().text() + "-",
            PosixFilePermissions.asFileAttribute(OWNER_ONLY))
        : Files.createTempDirectory(parent, prefix + OwnerStamp.current().text() + "-");
    checkOwned(dir, true);
    return dir;
  }

  /**
   * As {@link #create}, plus the {@link #OWNER_FILE} inside, so that {@link Leftovers#removeDead} may remove the
   * folder once its owner is dead.
   */
  public static Path createSweepable(Path parent, String prefix) throws IOException {
    Path dir = create(parent, prefix);
    writeNewFile(dir.resolve(OWNER_FILE), (OwnerStamp.current().text() + "\n" + OwnerStamp.pidSpace() + "\n")
        .getBytes(StandardCharsets.UTF_8));
    return dir;
  }

  /**
   * Creates {@code dir} (mode 0700) if it is missing, else checks that it is ours: a real folder, not a symbolic
   * link, owned by this user and not writable by group or others. Throws with what is wrong and what to do.
   */
  public static Path ensureOwned(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      Path parent = dir.toAbsolutePath().getParent();
      if (parent != null && !Files.isDirectory(parent)) Files.createDirectories(parent);
      try {
        if (posix(parent)) {
          Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } else {
          Files.createDirectory(dir);
        }
      } catch (FileAlreadyExistsException raced) {
        // another process of ours made it first; it is checked below like any existing folder
      }
    }
    checkOwned(dir, false);
    return dir;
  }

  /**
   * Throws unless {@code dir} is a real folder (not a link) owned by this user, and not writable by others; with
   * {@code exactMode}, its mode must be exactly 0700.
   */
  public static void checkOwned(Path dir, boolean exactMode) throws IOException {
    if (Files.isSymbolicLink(dir)) {
      throw new IOException(dir + " is a symbolic link (to " + Files.readSymbolicLink(dir) + "), not a folder; "
          + "pyworkers never follows a link in a shared folder: remove it or choose another folder");
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException(dir + " exists but is not a folder; remove it or choose another folder");
    }
    if (!posix(dir)) return;
    PosixFileAttributes attrs = Files.getFileAttributeView(dir, PosixFileAttributeView.class,
        LinkOption.NOFOLLOW_LINKS).readAttributes();
    UserPrincipal me = currentUser(dir);
    if (!attrs.owner().equals(me)) {
      throw new IOException("folder " + dir + " belongs to " + attrs.owner().getName() + ", not to "
          + me.getName() + "; another user made it first, so pyworkers will not use it: remove it or choose another "
          + "folder");
    }
    Set<PosixFilePermission> perms = attrs.permissions();
    boolean othersWrite = perms.contains(PosixFilePermission.GROUP_WRITE)
        || perms.contains(PosixFilePermission.OTHERS_WRITE);
    if (othersWrite || (exactMode && !perms.equals(OWNER_ONLY))) {
      throw new IOException("folder " + dir + " has mode " + PosixFilePermissions.toString(perms) + ", "
          + (exactMode ? "not rwx------" : "writable by other users") + "; run chmod 700 on it or choose another "
          + "folder");
    }
  }

  /**
   * Writes {@code data} to a new file {@code file} with mode 0600. The file must not exist yet (a planted file or
   * link at that path fails with {@link FileAlreadyExistsException}, never followed or truncated).
   */
  public static Path writeNewFile(Path file, byte[] data) throws IOException {
    if (posix(file.toAbsolutePath().getParent())) {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_READ_WRITE));
    } else {
      Files.createFile(file);
    }
    try (OutputStream out = Files.newOutputStream(file, LinkOption.NOFOLLOW_LINKS, StandardOpenOption.WRITE)) {
      out.write(data);
    }
    return file;
  }

  private static boolean posix(Path p) {
    return p != null && Files.getFileAttributeView(p, PosixFileAttributeView.class) != null;
  }

  private static UserPrincipal currentUser(Path onFileSystem) throws IOException {
    return onFileSystem.getFileSystem().getUserPrincipalLookupService()
        .lookupPrincipalByName(System.getProperty("user.name"));
  }
}
