package dev.pyworkers.spi;

import dev.pyworkers.internal.files.Leftovers;
import dev.pyworkers.internal.files.PrivateFolder;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Private folders for an eval type's own files (pyworkers-arrow's shared-memory batches), made the way core makes its
 * scratch and socket folders: {@code <parent>/<prefix>p<pid>-<start>-<random>}, created atomically with mode 0700
 * like {@code mkdtemp} (never a folder that already existed, never through a link) and stamped with their owner
 * process, so that a later process may remove the folders a killed one left. Stateless; thread-safe.
 */
public final class PrivateFolders {
  private PrivateFolders() {}

  /**
   * A new private folder in {@code parent} (created if missing), checked to be a real folder of this user with mode
   * 0700. Throws an {@link IOException} saying what is wrong (parent missing and not creatable, not writable, ...).
   */
  public static Path create(Path parent, String prefix) throws IOException {
    return PrivateFolder.createSweepable(parent, prefix);
  }

  /**
   * The first time this JVM asks for {@code parent} and {@code prefix}: deletes the folders {@link #create} made
   * there for a process that is certainly gone (pid and start time), if they are real folders of this user made in
   * this pid space. Anything else is left alone; later calls do nothing. Never throws.
   */
  public static void removeLeftoversOnce(Path parent, String prefix) {
    Leftovers.removeDeadOnce(parent, prefix);
  }

  /**
   * Deletes {@code folder} and everything in it, never following a link (a link inside is removed, not its target).
   * A folder that is already gone is no error.
   */
  public static void delete(Path folder) throws IOException {
    Leftovers.deleteTree(folder);
  }

  /**
   * Throws an {@link IOException} saying what is wrong and what to do unless {@code folder} is a real folder (not a
   * link) of this user with mode exactly 0700: a folder another process made for this one to write into.
   */
  public static void checkPrivate(Path folder) throws IOException {
    PrivateFolder.checkOwned(folder, true);
  }

  /**
   * Writes {@code data} to the new file {@code file}, mode 0600; a file or link already at that path fails with
   * {@link java.nio.file.FileAlreadyExistsException} and is never followed or truncated.
   */
  public static void writeNewFile(Path file, byte[] data) throws IOException {
    PrivateFolder.writeNewFile(file, data);
  }
}
