package dev.pyworkers.internal.runner;

import dev.pyworkers.Broadcast;
import dev.pyworkers.PythonEnvironment;
import dev.pyworkers.PythonFunction;
import dev.pyworkers.internal.factory.RealPythonWorker;
import dev.pyworkers.internal.files.Leftovers;
import dev.pyworkers.internal.files.PrivateFolder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a runner derives once from its functions: the Python executable, version, includes, merged environment (the
 * factory key), and its private scratch folder (0700, made like mkdtemp) holding the broadcast files (0600) and the
 * faulthandler folder; and per task, the broadcast changes for the worker at hand. Thread-safe.
 */
public final class TaskSetup implements AutoCloseable {
  /** Name prefix of the runner's private scratch folder; the owner stamp follows, so leftovers can be swept. */
  public static final String SCRATCH_PREFIX = "pyworkers-runner-";

  private final String pythonVersion;
  private final List<String> includes;
  private final PythonEnvironment environment;
  private final Map<Long, Broadcast> broadcasts;
  private final List<Path> localDirs;
  private final Path scratch;
  private final Path faulthandlerDir;
  /** Guarded by {@code this}: broadcast id → file with its pickle, written on first use. */
  private final Map<Long, Path> broadcastFiles = new HashMap<>();

  private TaskSetup(String executable, String pythonVersion, List<String> includes, Map<String, String> functionEnv,
      Map<Long, Broadcast> broadcasts, List<Path> localDirs, Path scratch, Path faulthandlerDir) {
    this.pythonVersion = pythonVersion;
    this.includes = includes;
    this.environment = PythonEnvironment.of(executable, functionEnv);
    this.broadcasts = broadcasts;
    this.localDirs = localDirs;
    this.scratch = scratch;
    this.faulthandlerDir = faulthandlerDir;
  }

  public static TaskSetup create(List<PythonFunction> functions, String executable, List<Path> localDirs,
      boolean faulthandler) {
    String exe = executable;
    String version = "";
    Set<String> includes = new LinkedHashSet<>();
    Map<String, String> env = new TreeMap<>();
    Map<Long, Broadcast> broadcasts = new LinkedHashMap<>();
    for (PythonFunction f : functions) {
      if (executable == null && f.pythonExecutable() != null) {
        if (exe != null && !exe.equals(f.pythonExecutable())) {
          throw new IllegalArgumentException("functions name different Python executables ('" + exe + "' and '"
              + f.pythonExecutable() + "'); one task runs in one worker, so give them the same one");
        }
        exe = f.pythonExecutable();
      }
      if (!f.pythonVersion().isEmpty()) {
        if (!version.isEmpty() && !version.equals(f.pythonVersion())) {
          throw new IllegalArgumentException("functions were made for different Python versions (" + version
              + " and " + f.pythonVersion() + ")");
        }
        version = f.pythonVersion();
      }
      includes.addAll(f.includes());
      for (Map.Entry<String, String> e : f.env().entrySet()) {
        String old = env.putIfAbsent(e.getKey(), e.getValue());
        if (old != null && !old.equals(e.getValue())) {
          throw new IllegalArgumentException("functions set environment variable " + e.getKey()
              + " to different values; one task runs in one worker, so they must agree");
        }
      }
      for (Broadcast b : f.broadcasts()) broadcasts.putIfAbsent(b.id(), b);
    }
    // The worker environment is the factory key, so it holds the functions' variables and nothing else: runners with
    // the same functions' environment share factories (daemons and pools) whatever their other settings. Per-runner
    // files live in the private scratch folder only; the faulthandler folder, the cpus and the memory limit reach the
    // worker in the task header (docs/protocol.md 5.1), the buffer size in the worker's init block (1.1, 2.2).
    List<Path> dirs = localDirs.isEmpty() ? List.of(Path.of(System.getProperty("java.io.tmpdir"))) : localDirs;
    Leftovers.removeDeadOnce(dirs.get(0), SCRATCH_PREFIX);
    Path scratch;
    try {
      scratch = PrivateFolder.createSweepable(dirs.get(0), SCRATCH_PREFIX);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the runner's private scratch folder in " + dirs.get(0) + ": "
          + e.getMessage() + "; give writable localDirs that belong to this user", e);
    }
    Path fault = null;
    if (faulthandler) {
      fault = scratch.resolve("faulthandler");
      try {
        PrivateFolder.ensureOwned(fault);
      } catch (IOException e) {
        deleteQuietly(scratch);
        throw new UncheckedIOException("cannot create the faulthandler folder " + fault + ": " + e.getMessage()
            + "; give writable localDirs that belong to this user", e);
      }
    }
    return new TaskSetup(exe == null ? "python3" : exe, version, List.copyOf(includes), env, broadcasts, dirs,
        scratch, fault);
  }

  /**
   * The factory key of every task of the runner: the Python executable and the functions' environment variables,
   * nothing else (docs/protocol.md 5.4).
   */
  public PythonEnvironment environment() {
    return environment;
  }

  /** What to tell {@code worker} about broadcasts, and records that it now holds exactly the runner's set. */
  public TaskHeader.Broadcasts broadcastsFor(RealPythonWorker worker) {
    Set<Long> held = worker.broadcastIds();
    List<Long> removed = new ArrayList<>();
    for (long id : held) if (!broadcasts.containsKey(id)) removed.add(id);
    Map<Long, String> added = new LinkedHashMap<>();
    for (Broadcast b : broadcasts.values()) {
      if (!held.contains(b.id())) added.put(b.id(), fileOf(b).toString());
    }
    held.removeAll(removed);
    held.addAll(added.keySet());
    return new TaskHeader.Broadcasts(removed, added);
  }

  private synchronized Path fileOf(Broadcast b) {
    return broadcastFiles.computeIfAbsent(b.id(), id -> {
      try {
        return PrivateFolder.writeNewFile(scratch.resolve("broadcast-" + id + ".pickle"), b.pickled());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write broadcast " + id + " to " + scratch + ": " + e.getMessage(), e);
      }
    });
  }

  public List<String> includes() { return includes; }
  public String pythonVersion() { return pythonVersion; }
  public List<Path> localDirs() { return localDirs; }
  public Path faulthandlerDir() { return faulthandlerDir; }

  /** The runner's private scratch folder ({@code <first local dir>/pyworkers-runner-<owner stamp>-<random>}). */
  public Path scratch() { return scratch; }

  /** Deletes the scratch folder with the broadcast files and the faulthandler folder in it. Idempotent. */
  @Override
  public void close() {
    deleteQuietly(scratch);
  }

  private static void deleteQuietly(Path dir) {
    try {
      Leftovers.deleteTree(dir);
    } catch (IOException e) {
      // a leftover in the runner's own private folder is removed by the next runner once this process is gone
    }
  }
}
