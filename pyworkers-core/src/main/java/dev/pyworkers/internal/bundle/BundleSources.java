package dev.pyworkers.internal.bundle;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Reads the Python files that every pyworkers jar (or class folder) on a class path contributes to the bundle. A
 * contributor holds the marker resource {@value #MARKER} (its text names the module, for people reading the jar)
 * and its Python files under {@value #ROOT}{@code /} beside it: core has the {@code pyworkers} package itself
 * (daemon, worker, protocol, task, ...), the CLI adds {@code pyworkers/jobs.py}, later modules their handlers. The
 * bundle is the union of them all, keyed by relative path; the same path from two contributors must be
 * byte-identical (a jar that is on the class path twice, say). Stateless; thread-safe.
 */
final class BundleSources {
  /** The resource every contributor holds; {@link ClassLoader#getResources} finds one per jar or class folder. */
  static final String MARKER = "META-INF/pyworkers/python-bundle";
  /** The folder, beside the marker, that holds the contributor's Python tree (for example {@code pyworkers/}). */
  static final String ROOT = "dev/pyworkers/python";

  private BundleSources() {}

  /** One Python file of the bundle and the contributor it came from. */
  record Source(byte[] content, String origin) {}

  /**
   * Returns every {@code .py} file of every contributor that {@code loader} sees, sorted by relative path.
   *
   * @throws BundleConflictException when two contributors hold the same path with different bytes
   */
  static Map<String, Source> read(ClassLoader loader) throws IOException, URISyntaxException {
    List<URL> markers = Collections.list(loader.getResources(MARKER));
    if (markers.isEmpty()) {
      throw new IOException("resource " + MARKER + " is missing from the class path; the pyworkers-core jar is broken");
    }
    Map<String, Source> files = new TreeMap<>();
    for (URL marker : markers) {
      for (Map.Entry<String, byte[]> e : readOne(marker).entrySet()) {
        String origin = origin(marker);
        Source earlier = files.putIfAbsent(e.getKey(), new Source(e.getValue(), origin));
        if (earlier != null && !Arrays.equals(earlier.content(), e.getValue())) {
          throw new BundleConflictException("the Python file " + e.getKey() + " comes from two pyworkers jars with"
              + " different content: " + earlier.origin() + " and " + origin + "; put only one version of each"
              + " pyworkers module on the class path");
        }
      }
    }
    return files;
  }

  private static Map<String, byte[]> readOne(URL marker) throws IOException, URISyntaxException {
    URLConnection connection = marker.openConnection();
    if (connection instanceof JarURLConnection jarConnection) {
      // A JarFile of our own (not the shared cached one, and no zip file system another thread may close): read it
      // and close it.
      jarConnection.setUseCaches(false);
      try (JarFile jar = jarConnection.getJarFile()) {
        return collect(jar, marker);
      }
    }
    // a class folder: <folder>/META-INF/pyworkers/python-bundle
    return collect(Path.of(marker.toURI()).getParent().getParent().getParent().resolve(ROOT));
  }

  private static Map<String, byte[]> collect(JarFile jar, URL marker) throws IOException {
    Map<String, byte[]> files = new TreeMap<>();
    String prefix = ROOT + "/";
    for (JarEntry e : Collections.list(jar.entries())) {
      String name = e.getName();
      if (e.isDirectory() || !name.startsWith(prefix) || !name.endsWith(".py")) continue;
      String path = name.substring(prefix.length());
      for (String part : path.split("/", -1)) {
        if (part.isEmpty() || part.equals(".") || part.equals("..") || part.contains("\\")) {
          throw new IOException(marker + ": the jar entry " + name + " is not a plain relative path; that jar is"
              + " broken");
        }
      }
      try (InputStream in = jar.getInputStream(e)) {
        files.put(path, in.readAllBytes());
      }
    }
    return files;
  }

  private static Map<String, byte[]> collect(Path root) throws IOException {
    Map<String, byte[]> files = new TreeMap<>();
    if (!Files.isDirectory(root)) return files;  // a contributor with no Python (yet), as a jar without entries
    List<Path> paths;
    try (Stream<Path> s = Files.walk(root)) {
      paths = s.filter(Files::isRegularFile).filter(p -> p.toString().endsWith(".py")).toList();
    }
    for (Path p : paths) {
      files.put(root.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
    }
    return files;
  }

  /** The jar or class folder a marker is in, for example {@code /x/pyworkers-cli.jar}. */
  private static String origin(URL marker) {
    String where = marker.toString();
    String tail = where.startsWith("jar:") ? "!/" + MARKER : "/" + MARKER;
    if (where.endsWith(tail)) where = where.substring(0, where.length() - tail.length());
    if (where.startsWith("jar:")) where = where.substring("jar:".length());
    if (where.startsWith("file:")) where = where.substring("file:".length());
    return where;
  }
}
