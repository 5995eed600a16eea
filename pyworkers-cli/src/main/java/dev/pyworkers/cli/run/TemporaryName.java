package dev.pyworkers.cli.run;

import dev.pyworkers.internal.files.OwnerStamp;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The names of the temporary files {@code pyworkers run} makes beside OUT, and how to read one back:
 * {@code .<OUT>.pyworkers-h<host>-<owner stamp>-<random>.tmp} for the temporary output and {@code
 * .<OUT>.pyworkers-h<host>-<owner stamp>-<random>.spill-<n>.tmp} for spilled partition output. {@code <host>} is the
 * first 8 hex digits of the SHA-256 of this machine's host name (a folder shared over the network is seen by several
 * machines, and a pid says nothing about a process of another one), the {@link OwnerStamp} says which process made
 * it, and {@code <random>} is 12 hex digits from {@link SecureRandom}, so the name cannot be predicted. Immutable and
 * thread-safe.
 *
 * @param base the name without {@code .tmp}: {@code .<OUT>.pyworkers-h<host>-<stamp>-<random>}
 */
record TemporaryName(String base) {
  /** group 1: OUT's name, 2: the host tag, 3: the owner stamp, 4: the random part, 5: the spill suffix or null. */
  static final Pattern PATTERN = Pattern.compile(
      "\\.(.+)\\.pyworkers-h([0-9a-f]{8})-(p\\d{1,10}-[0-9a-z]{1,13})-([0-9a-f]{12})(\\.spill-\\d{1,9})?\\.tmp");
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String HOST = hostTag();

  /** A fresh name for a temporary output of {@code target} made by this process. */
  static TemporaryName forTarget(Path target) {
    byte[] random = new byte[6];
    RANDOM.nextBytes(random);
    return of(target, HexFormat.of().formatHex(random));
  }

  /** The name with the given random part (tests plant files at a name they know). */
  static TemporaryName of(Path target, String random) {
    return of(target.getFileName().toString(), OwnerStamp.current(), random);
  }

  /** The name a process {@code owner} on this machine gives a temporary output of a file named {@code outName}. */
  static TemporaryName of(String outName, OwnerStamp owner, String random) {
    return new TemporaryName("." + outName + ".pyworkers-h" + HOST + "-" + owner.text() + "-" + random);
  }

  String output() {
    return base + ".tmp";
  }

  String spill(int n) {
    return base + ".spill-" + n + ".tmp";
  }

  /**
   * The owner of a file named {@code name}, when the name is exactly one of ours made on this machine; empty for any
   * other name (another tool's file, another machine's, a name that only looks alike).
   */
  static Optional<OwnerStamp> ownerOf(String name) {
    Matcher m = PATTERN.matcher(name);
    if (!m.matches() || !m.group(2).equals(HOST)) return Optional.empty();
    return OwnerStamp.find(m.group(3));
  }

  private static String hostTag() {
    String host = null;
    try {
      host = Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.UTF_8).strip();
    } catch (IOException | RuntimeException e) {
      // not Linux: the environment below, and else the local host lookup
    }
    if (host == null || host.isEmpty()) host = System.getenv("HOSTNAME");
    if (host == null || host.isEmpty()) {
      try {
        host = java.net.InetAddress.getLocalHost().getHostName();
      } catch (IOException e) {
        host = "localhost";
      }
    }
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(host.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
