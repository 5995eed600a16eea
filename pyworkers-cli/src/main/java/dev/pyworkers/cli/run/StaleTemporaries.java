package dev.pyworkers.cli.run;

import dev.pyworkers.internal.files.OwnerStamp;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes the temporary files that runs killed before they could clean up (SIGKILL, a power cut) left in OUT's
 * folder. Every {@code pyworkers run} calls it once for the folder it writes to, so leftovers of any OUT in that
 * folder go. Only a file that passes every check is removed: its name is exactly one of {@link TemporaryName}'s,
 * made on this machine; its owner process is certainly dead ({@link OwnerStamp#ownerIsDead()}: a live run's files,
 * or those of a run whose start time the OS does not tell, stay); it is a regular file, not a link (links are never
 * followed: the check reads the entry itself) and not a folder; and it belongs to this user. Stateless; thread-safe.
 */
final class StaleTemporaries {
  private static final Logger LOG = LoggerFactory.getLogger(StaleTemporaries.class);

  private StaleTemporaries() {}

  /** Removes the dead runs' temporary files in {@code folder}; returns those removed. Never throws. */
  static List<Path> removeIn(Path folder) {
    List<Path> removed = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder, ".*.pyworkers-h*.tmp")) {
      UserPrincipal me = null;
      for (Path p : entries) {
        Optional<OwnerStamp> owner = TemporaryName.ownerOf(p.getFileName().toString());
        if (owner.isEmpty() || !owner.get().ownerIsDead()) continue;
        try {
          PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
          if (me == null) {
            me = folder.getFileSystem().getUserPrincipalLookupService()
                .lookupPrincipalByName(System.getProperty("user.name"));
          }
          if (!a.isRegularFile() || !a.owner().equals(me)) continue;
          Files.deleteIfExists(p); // unlink: removes the entry itself, never what a link points to
          removed.add(p);
          LOG.info("removed {}, a temporary file left by run {} which is no longer alive", p, owner.get());
        } catch (IOException | UnsupportedOperationException e) {
          LOG.info("left {} in place: {}", p, e.toString());
        }
      }
    } catch (IOException | RuntimeException e) {
      // the folder cannot be listed: the temporary output's own creation then fails with a message that says why
      LOG.info("could not look for leftover temporary files in {}: {}", folder, e.toString());
    }
    return removed;
  }
}
