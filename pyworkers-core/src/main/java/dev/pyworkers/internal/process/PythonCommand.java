package dev.pyworkers.internal.process;

import dev.pyworkers.PythonEnvironment;
import dev.pyworkers.WorkerStartException;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A {@code <python> -m <module> args...} command line with its environment: the JVM's, then the user's variables,
 * then pyworkers' package folder first on PYTHONPATH and unbuffered output. Immutable.
 */
public final class PythonCommand {
  private final List<String> argv;
  private final Map<String, String> env;

  private PythonCommand(List<String> argv, Map<String, String> env) {
    this.argv = argv;
    this.env = env;
  }

  public static PythonCommand module(PythonEnvironment environment, Path bundle, String module, String... args) {
    List<String> argv = new ArrayList<>();
    argv.add(environment.executable());
    argv.add("-m");
    argv.add(module);
    argv.addAll(List.of(args));
    Map<String, String> env = new java.util.HashMap<>(System.getenv());
    env.putAll(environment.variables());
    String user = env.get("PYTHONPATH");
    env.put("PYTHONPATH", user == null || user.isEmpty() ? bundle.toString() : bundle + File.pathSeparator + user);
    env.put("PYTHONUNBUFFERED", "1");
    return new PythonCommand(List.copyOf(argv), Map.copyOf(env));
  }

  /** Starts the process with piped stdin and stdout; stderr is merged into stdout when {@code mergeStderr}. */
  public Process start(boolean mergeStderr) {
    ProcessBuilder pb = new ProcessBuilder(argv);
    pb.environment().clear();
    pb.environment().putAll(env);
    pb.redirectErrorStream(mergeStderr);
    try {
      return pb.start();
    } catch (IOException e) {
      throw new WorkerStartException(
          "cannot run Python executable '" + argv.get(0) + "': " + e.getMessage()
              + ". Give the path of an installed Python 3.8 or newer (for example python3 or /usr/bin/python3)"
              + " in PythonEnvironment.of(...)", e);
    }
  }

  public String commandLine() {
    return String.join(" ", argv);
  }

  public String pythonPath() {
    return env.get("PYTHONPATH");
  }

  /** Command line and PYTHONPATH, for error messages. Never the environment: it may hold secrets. */
  public String describe() {
    return "command: " + commandLine() + "; PYTHONPATH: " + pythonPath();
  }
}
