package dev.pyworkers.internal.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Who made a temporary file or folder, written into its name: {@code p<pid>-<start>} where {@code start} is the
 * owning process's start time in milliseconds since the epoch (base 36). A later process tells a leftover of a dead
 * owner from the live work of a running one by asking the OS whether a process with that pid and that start time still
 * exists; a recycled pid has another start time, so it never passes for the owner. Immutable and thread-safe.
 */
public record OwnerStamp(long pid, long startMillis) {
  private static final Pattern STAMP = Pattern.compile("p(\\d{1,10})-([0-9a-z]{1,13})");
  /** Start times are read at different precisions by different calls; two within this many ms are one process. */
  private static final long START_TOLERANCE_MS = 1_000;
  private static final OwnerStamp CURRENT = of(ProcessHandle.current());
  private static final String PID_SPACE = readPidSpace();

  /** The stamp of this JVM. */
  public static OwnerStamp current() {
    return CURRENT;
  }

  private static OwnerStamp of(ProcessHandle p) {
    long start = p.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    return new OwnerStamp(p.pid(), start);
  }

  /**
   * Where this JVM's pids are valid: the boot id and the pid namespace on Linux ({@code <boot id> pid:[<inode>]}),
   * empty elsewhere. A pid of another container or another boot that shares the folder says nothing about a process
   * here, so a folder is only judged by its stamp when it was made in the same pid space.
   */
  public static String pidSpace() {
    return PID_SPACE;
  }

  private static String readPidSpace() {
    try {
      String boot = Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip();
      String ns = Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
      return boot + " " + ns;
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  /** The stamp's text, as it appears inside a name: {@code p<pid>-<start in base 36>}. */
  public String text() {
    return "p" + pid + "-" + Long.toString(startMillis, 36);
  }

  @Override
  public String toString() {
    return text();
  }

  /** The first stamp inside {@code name}, if it holds one. */
  public static Optional<OwnerStamp> find(String name) {
    Matcher m = STAMP.matcher(name);
    if (!m.find()) return Optional.empty();
    try {
      return Optional.of(new OwnerStamp(Long.parseLong(m.group(1)), Long.parseLong(m.group(2), 36)));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /**
   * True only when the owner is certainly gone: no process has the pid, or the one that has it started at another
   * time. When the OS does not tell a start time, the owner is taken as alive (a leftover is better than deleting a
   * live process's work).
   */
  public boolean ownerIsDead() {
    if (pid == ProcessHandle.current().pid()) return !equals(CURRENT) && startMillis != 0;
    Optional<ProcessHandle> p = ProcessHandle.of(pid);
    if (p.isEmpty() || !p.get().isAlive()) return true;
    Optional<Instant> start = p.get().info().startInstant();
    if (start.isEmpty() || startMillis == 0) return false;
    return Math.abs(start.get().toEpochMilli() - startMillis) > START_TOLERANCE_MS;
  }
}
