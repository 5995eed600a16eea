package dev.pyworkers.internal.runner;

import dev.pyworkers.Broadcast;
import dev.pyworkers.PythonEnvironment;
import dev.pyworkers.PythonFunction;
import dev.pyworkers.TaskContext;
import dev.pyworkers.WorkerConfig;
import dev.pyworkers.internal.factory.RealPythonWorker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What a runner derives once from its functions: the Python executable, version, includes, merged environment, the
 * broadcast files and the faulthandler folder; and per task, the worker environment and the broadcast changes for
 * the worker at hand. Thread-safe.
 */
public final class TaskSetup implements AutoCloseable {
  private final WorkerConfig config;
  private final String executable;
  private final String pythonVersion;
  private final List<String> includes;
  private final Map<String, String> functionEnv;
  private final Map<Long, Broadcast> broadcasts;
  private final List<Path> localDirs;
  private final Path scratch;
  private final Path faulthandlerDir;
  private final int memoryLimitMb;
  /** @GuardedBy("this"): broadcast id → file with its pickle, written on first use. */
  private final Map<Long, Path> broadcastFiles = new HashMap<>();

  private TaskSetup(WorkerConfig config, String executable, String pythonVersion, List<String> includes,
      Map<String, String> functionEnv, Map<Long, Broadcast> broadcasts, List<Path> localDirs, Path scratch,
      Path faulthandlerDir, int memoryLimitMb) {
    this.config = config;
    this.executable = executable;
    this.pythonVersion = pythonVersion;
    this.includes = includes;
    this.functionEnv = functionEnv;
    this.broadcasts = broadcasts;
    this.localDirs = localDirs;
    this.scratch = scratch;
    this.faulthandlerDir = faulthandlerDir;
    this.memoryLimitMb = memoryLimitMb;
  }

  public static TaskSetup create(WorkerConfig config, List<PythonFunction> functions, String executable,
      List<Path> localDirs, boolean faulthandler, int memoryLimitMb) {
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
    // Everything that ends up in the worker environment must be the same for every runner with the same settings,
    // so that runners share factories (daemons and pools); per-runner files live in the scratch folder only.
    List<Path> dirs = localDirs.isEmpty() ? List.of(Path.of(System.getProperty("java.io.tmpdir"))) : localDirs;
    try {
      Path scratch = Files.createTempDirectory(dirs.get(0), "pyworkers-runner-");
      Path fault = null;
      if (faulthandler) {
        fault = dirs.get(0).resolve("pyworkers-faulthandler");
        Files.createDirectories(fault);
      }
      return new TaskSetup(config, exe == null ? "python3" : exe, version, List.copyOf(includes), env,
          broadcasts, dirs, scratch, fault, memoryLimitMb);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the runner's scratch folder: " + e.getMessage()
          + "; give writable localDirs", e);
    }
  }

  /** The worker environment of a task: the functions' variables plus the per-task ones (docs/protocol.md 5.4). */
  public PythonEnvironment environment(TaskContext ctx) {
    Map<String, String> env = new TreeMap<>(functionEnv);
    if (!env.containsKey("OMP_NUM_THREADS") && System.getenv("OMP_NUM_THREADS") == null) {
      env.put("OMP_NUM_THREADS", Integer.toString(ctx.cpus()));
    }
    env.put("PYWORKERS_LOCAL_DIRS", String.join(",", localDirs.stream().map(Path::toString).toList()));
    env.put("PYWORKERS_BUFFER_SIZE", Integer.toString(config.bufferSize()));
    env.put("PYWORKERS_REUSE_WORKER", config.reuseWorkers() ? "1" : "0");
    if (memoryLimitMb > 0) env.put("PYWORKERS_MEMORY_MB", Integer.toString(memoryLimitMb));
    if (faulthandlerDir != null) env.put("PYWORKERS_FAULTHANDLER_DIR", faulthandlerDir.toString());
    return PythonEnvironment.of(executable, env);
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
        Path p = scratch.resolve("broadcast-" + id + ".pickle");
        Files.write(p, b.pickled());
        return p;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write broadcast " + id + " to " + scratch + ": " + e.getMessage(), e);
      }
    });
  }

  public List<String> includes() { return includes; }
  public String pythonVersion() { return pythonVersion; }
  public List<Path> localDirs() { return localDirs; }
  public Path faulthandlerDir() { return faulthandlerDir; }

  @Override
  public void close() {
    try (Stream<Path> s = Files.walk(scratch)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    } catch (IOException | UncheckedIOException e) {
      // a leftover scratch folder under the temp folder does no harm
    }
  }
}
