package dev.pyworkers.cli.run;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Finds live processes by a {@code NAME=value} entry of their environment, read from {@code /proc/<pid>/environ}
 * (Linux; elsewhere it finds nothing). A benchmark gives its child a unique marker and afterwards proves that no
 * process of the child, orphans included, is left. Stateless.
 */
final class Leftovers {
  private Leftovers() {}

  /** "pid: command line" of every live, non-zombie process whose environment holds {@code entry}. */
  static List<String> find(String entry) {
    Path proc = Path.of("/proc");
    if (!Files.isDirectory(proc)) return List.of();
    byte[] needle = (entry + "\0").getBytes(StandardCharsets.UTF_8);
    List<String> found = new ArrayList<>();
    try (Stream<Path> all = Files.list(proc)) {
      for (Path p : all.toList()) {
        String pid = p.getFileName().toString();
        if (!pid.chars().allMatch(Character::isDigit)) continue;
        try {
          if (contains(Files.readAllBytes(p.resolve("environ")), needle) && !zombie(p)) {
            found.add(pid + ": " + new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8)
                .replace('\0', ' ').strip());
          }
        } catch (IOException e) {
          // the process ended while we looked, or is not ours to read
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot list /proc: " + e.getMessage(), e);
    }
    return found;
  }

  private static boolean zombie(Path p) throws IOException {
    String stat = Files.readString(p.resolve("stat"));
    int close = stat.lastIndexOf(')');
    return close > 0 && stat.length() > close + 2 && stat.charAt(close + 2) == 'Z';
  }

  private static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) continue outer;
      }
      return true;
    }
    return false;
  }
}
