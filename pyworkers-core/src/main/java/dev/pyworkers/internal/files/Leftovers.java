package dev.pyworkers.internal.files;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Removes what a dead process of ours left in a shared folder: folders named {@code <prefix><owner stamp>-...}
 * (made by {@link PrivateFolder#createSweepable}) whose owner is certainly gone ({@link OwnerStamp#ownerIsDead()}),
 * that are real folders (not links), owned by this user, and made in this pid space (their owner file says so: a
 * folder shared with another container or left from another boot is not judged by a pid that means nothing here).
 * Anything else (another user's folder, a link, a live owner's folder, a name without a stamp) is left alone.
 * Deleting never follows a link: a link inside is removed, not its target. Stateless apart from the set of folders
 * already swept by this JVM; thread-safe.
 */
public final class Leftovers {
  /** "parent|prefix" swept by {@link #removeDeadOnce}; once in, always in. */
  private static final Set<String> SWEPT = ConcurrentHashMap.newKeySet();

  private Leftovers() {}

  /** {@link #removeDead} the first time this JVM asks for {@code parent} and {@code prefix}; later calls do nothing. */
  public static List<Path> removeDeadOnce(Path parent, String prefix) {
    if (!SWEPT.add(parent.toAbsolutePath().normalize() + "|" + prefix)) return List.of();
    return removeDead(parent, prefix);
  }

  /**
   * Deletes every folder {@code <parent>/<prefix>p<pid>-<start>-*} of ours whose owner is dead; returns those it
   * removed. Never throws: a folder that cannot be read or removed stays (it is tried again by the next process).
   */
  public static List<Path> removeDead(Path parent, String prefix) {
    List<Path> removed = new ArrayList<>();
    if (!Files.isDirectory(parent)) return removed;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(parent, prefix + "p*")) {
      for (Path p : entries) {
        String name = p.getFileName().toString();
        Optional<OwnerStamp> stamp = OwnerStamp.find(name.substring(prefix.length()));
        if (stamp.isEmpty() || !name.startsWith(prefix + stamp.get().text() + "-")) continue;
        if (!isOurs(p) || !madeInThisPidSpace(p) || !stamp.get().ownerIsDead()) continue;
        try {
          deleteTree(p);
          removed.add(p);
        } catch (IOException e) {
          // left for the next process; a leftover does no harm beyond its space
        }
      }
    } catch (IOException | RuntimeException e) {
      // the shared folder cannot be listed: nothing to clean
    }
    return removed;
  }

  /** Whether {@code dir}'s owner file names this pid space; without one (or unreadable), the owner cannot be told. */
  private static boolean madeInThisPidSpace(Path dir) {
    Path owner = dir.resolve(PrivateFolder.OWNER_FILE);
    try {
      if (!Files.isRegularFile(owner, LinkOption.NOFOLLOW_LINKS) || Files.size(owner) > 1024) return false;
      List<String> lines = Files.readAllLines(owner, StandardCharsets.UTF_8);
      return lines.size() >= 2 && lines.get(1).equals(OwnerStamp.pidSpace());
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static boolean isOurs(Path dir) {
    try {
      PrivateFolder.checkOwned(dir, false);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Deletes {@code root} and everything under it without following symbolic links (a link is deleted, never its
   * target). A missing {@code root} is no error. Throws the first failure naming the path.
   */
  public static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) return;
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.deleteIfExists(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
        if (e instanceof NoSuchFileException) return FileVisitResult.CONTINUE;
        throw e;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
        if (e != null && !(e instanceof NoSuchFileException)) throw e;
        Files.deleteIfExists(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
