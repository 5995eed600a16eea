package dev.pyworkers.internal.bundle;

import dev.pyworkers.WorkerStartException;
import dev.pyworkers.internal.files.Leftovers;
import dev.pyworkers.internal.files.PrivateFolder;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The {@code pyworkers} Python package that ships inside the core jar, extracted once into
 * {@code <cache folder>/python-<sha256 prefix>/} and reused by every JVM that has the same content. Extraction writes
 * to a private temporary folder and renames it into place, so concurrent JVMs never see a half-written package.
 * Every worker runs this code, so the cache folder and {@code python-<hash>} must be ours: a cache folder that is a
 * link, belongs to another user or is writable by group or others, and a {@code python-<hash>} entry that is a link
 * or another user's (even with its {@code .complete} file), are refused with an error naming the folder; they are
 * never used, and never deleted. Thread-safe.
 */
public final class PythonBundle {
  private static final String ROOT = "dev/pyworkers/python";
  private static final String MARKER = ROOT + "/pyworkers/__init__.py";
  private static final String EXTRACT_PREFIX = ".extract-";

  private PythonBundle() {}

  /** Returns the folder to put first on PYTHONPATH; it holds {@code pyworkers/}. */
  public static Path extract(Path cacheFolder) {
    try {
      Map<String, byte[]> files = readPackage();
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
      for (Map.Entry<String, byte[]> e : files.entrySet()) {
        Path p = tmp.resolve(e.getKey());
        Files.createDirectories(p.getParent());
        Files.write(p, e.getValue());
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
    } catch (IOException | URISyntaxException e) {
      throw new WorkerStartException(
          "cannot use the cache folder " + cacheFolder + " for the bundled pyworkers Python package: "
              + e.getMessage() + " (set WorkerConfig.cacheFolder to a writable folder of your own)", e);
    }
  }

  private static Map<String, byte[]> readPackage() throws IOException, URISyntaxException {
    URL marker = PythonBundle.class.getClassLoader().getResource(MARKER);
    if (marker == null) {
      throw new IOException("resource " + MARKER + " is missing from the classpath; the pyworkers-core jar is broken");
    }
    URI uri = marker.toURI();
    if ("jar".equals(uri.getScheme())) {
      FileSystem fs;
      boolean mine = false;
      try {
        fs = FileSystems.newFileSystem(uri, Map.of());
        mine = true;
      } catch (FileSystemAlreadyExistsException e) {
        fs = FileSystems.getFileSystem(uri);
      }
      try {
        return collect(fs.getPath(ROOT));
      } finally {
        if (mine) fs.close();
      }
    }
    return collect(Path.of(uri).getParent().getParent());
  }

  private static Map<String, byte[]> collect(Path root) throws IOException {
    Map<String, byte[]> files = new TreeMap<>();
    List<Path> paths;
    try (Stream<Path> s = Files.walk(root)) {
      paths = s.filter(Files::isRegularFile).filter(p -> p.toString().endsWith(".py")).toList();
    }
    for (Path p : paths) {
      files.put(root.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
    }
    return files;
  }

  private static String hash(Map<String, byte[]> files) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (Map.Entry<String, byte[]> e : files.entrySet()) {
        md.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        md.update((byte) 0);
        md.update(e.getValue());
        md.update((byte) 0);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is unavailable in this JVM", e);
    }
  }

}
