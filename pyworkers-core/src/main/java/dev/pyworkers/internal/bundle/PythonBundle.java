package dev.pyworkers.internal.bundle;

import dev.pyworkers.WorkerStartException;
import dev.pyworkers.internal.files.Leftovers;
import dev.pyworkers.internal.files.PrivateFolder;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * The Python that ships inside the pyworkers jars: the union of what every jar on the class path contributes (core
 * has the {@code pyworkers} package, the CLI adds {@code pyworkers.jobs}; see {@link BundleSources}), hashed together
 * and extracted once into one tree, {@code <cache folder>/python-<sha256 prefix>/}, reused by every JVM that has the
 * same content. Extraction writes
 * to a private temporary folder and renames it into place, so concurrent JVMs never see a half-written package.
 * Every worker runs this code, so the cache folder and {@code python-<hash>} must be ours: a cache folder that is a
 * link, belongs to another user or is writable by group or others, and a {@code python-<hash>} entry that is a link
 * or another user's (even with its {@code .complete} file), are refused with an error naming the folder; they are
 * never used, and never deleted. Thread-safe.
 */
public final class PythonBundle {
  private static final String EXTRACT_PREFIX = ".extract-";

  private PythonBundle() {}

  /** Returns the folder to put first on PYTHONPATH; it holds {@code pyworkers/}. */
  public static Path extract(Path cacheFolder) {
    return extract(cacheFolder, PythonBundle.class.getClassLoader());
  }

  /** As {@link #extract(Path)}, with the Python of every pyworkers jar that {@code loader} sees. */
  public static Path extract(Path cacheFolder, ClassLoader loader) {
    Map<String, BundleSources.Source> files;
    try {
      files = BundleSources.read(loader);
    } catch (BundleConflictException e) {
      throw new WorkerStartException(e.getMessage(), e);
    } catch (IOException | URISyntaxException e) {
      throw new WorkerStartException("cannot read the pyworkers Python package from the class path: " + e.getMessage(),
          e);
    }
    try {
      String hash = hash(files);
      Path target = cacheFolder.resolve("python-" + hash.substring(0, 16));
      // Every worker runs the code in there: a folder that another user made, may write to, or that is a link to
      // elsewhere is refused, never used (see the class comment).
      PrivateFolder.ensureOwned(cacheFolder);
      if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
        PrivateFolder.checkOwned(target, false);
        if (Files.isRegularFile(target.resolve(".complete"), LinkOption.NOFOLLOW_LINKS)) return target;
        Leftovers.deleteTree(target);  // ours but never completed (an older version's leftover): extract again
      }
      Leftovers.removeDead(cacheFolder, EXTRACT_PREFIX);
      Path tmp = PrivateFolder.createSweepable(cacheFolder, EXTRACT_PREFIX);
      for (Map.Entry<String, BundleSources.Source> e : files.entrySet()) {
        Path p = tmp.resolve(e.getKey());
        Files.createDirectories(p.getParent());
        Files.write(p, e.getValue().content());
      }
      Files.writeString(tmp.resolve(".complete"), hash + "\n");
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException raced) {
        // another JVM of ours put the same content in place first; ours is redundant
        Leftovers.deleteTree(tmp);
        PrivateFolder.checkOwned(target, false);
        if (!Files.isRegularFile(target.resolve(".complete"), LinkOption.NOFOLLOW_LINKS)) throw raced;
      }
      return target;
    } catch (IOException e) {
      throw new WorkerStartException(
          "cannot use the cache folder " + cacheFolder + " for the bundled pyworkers Python package: "
              + e.getMessage() + " (set WorkerConfig.cacheFolder to a writable folder of your own)", e);
    }
  }

  /** SHA-256 over every file, sorted by path: the same union of jars gives the same folder. */
  private static String hash(Map<String, BundleSources.Source> files) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (Map.Entry<String, BundleSources.Source> e : files.entrySet()) {
        md.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        md.update((byte) 0);
        md.update(e.getValue().content());
        md.update((byte) 0);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is unavailable in this JVM", e);
    }
  }

}
