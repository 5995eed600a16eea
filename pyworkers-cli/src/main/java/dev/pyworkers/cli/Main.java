package dev.pyworkers.cli;

import dev.pyworkers.cli.run.Failures;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code pyworkers} command. Subcommands are groups of their own ({@code bench} now; {@code run} is meant to sit
 * beside it), each listed in {@code subcommands} below, so adding one is adding a class. Exit codes: 0 success,
 * 2 bad arguments, 1 failure ({@code run} has its own, see {@link dev.pyworkers.cli.run.ExitCode}), each reported as
 * one line on stderr ({@code --verbose} adds the stack trace). No stack trace reaches the user otherwise: a bad
 * argument is one line (with picocli's suggestions, not the usage help), an error that escapes a command (an {@link
 * Error} such as {@link OutOfMemoryError} included) is one line with exit code 5, and so is an exception that
 * ends another thread.
 *
 * <p>Logging (slf4j-simple, on stderr) stays at warn unless {@code --verbose} raises it to info or the
 * {@code org.slf4j.simpleLogger.defaultLogLevel} system property says otherwise. Not thread-safe: one command line
 * per instance.
 */
@Command(
    name = "pyworkers",
    mixinStandardHelpOptions = true,
    version = Main.VERSION,
    description = "Runs Python functions in pooled, process-isolated Python workers.",
    subcommands = {BenchCommand.class, RunCommand.class})
public final class Main implements Runnable {
  static final String VERSION = "0.1.0";
  private static final String LOG_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";

  @Spec CommandSpec spec;

  @Option(
      names = {"-v", "--verbose"},
      scope = ScopeType.INHERIT,
      description = "Print stack traces of failures and log at info level.")
  boolean verbose;

  /** Exit code of an error that escaped a command: {@code run}'s code for an internal error. */
  static final int INTERNAL_ERROR = 5;

  public static void main(String[] args) {
    boolean verbose = List.of(args).contains("-v") || List.of(args).contains("--verbose");
    Thread.setDefaultUncaughtExceptionHandler((thread, e) -> internalError("in thread " + thread.getName(), e,
        verbose));
    int code;
    try {
      code = commandLine().execute(args);
    } catch (Throwable e) {
      internalError("", e, verbose);
      code = INTERNAL_ERROR;
    }
    System.exit(code);
  }

  /** One line on stderr for {@code e} ({@code --verbose}: and its stack trace). Never throws. */
  private static void internalError(String where, Throwable e, boolean verbose) {
    try {
      System.err.println("pyworkers: internal error" + (where.isEmpty() ? "" : " " + where) + ": "
          + Failures.describeInternal(e));
      if (verbose) e.printStackTrace();
      System.err.flush();
    } catch (Throwable ignored) {
      // nothing left to report with: stderr itself failed
    }
  }

  /** The configured command line, without running it; tests set its out and err writers. */
  public static CommandLine commandLine() {
    CommandLine cmd = new CommandLine(new Main());
    cmd.setCaseInsensitiveEnumValuesAllowed(true);
    cmd.setExecutionStrategy(parseResult -> {
      configureLogging(isVerbose(parseResult));
      return new CommandLine.RunLast().execute(parseResult);
    });
    cmd.setExecutionExceptionHandler(Main::reportFailure);
    cmd.setParameterExceptionHandler(Main::reportBadArguments);
    return cmd;
  }

  /**
   * A bad argument: one line naming the command, the problem and picocli's suggestions, then where the help is;
   * not the whole usage help, which would bury the message.
   */
  private static int reportBadArguments(ParameterException e, String[] args) {
    CommandLine failed = e.getCommandLine();
    PrintWriter err = failed.getErr();
    String name = failed.getCommandSpec().qualifiedName();
    String message = String.valueOf(e.getMessage()).strip().replaceAll("\\s*\\R\\s*", " ");
    if (e instanceof UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
      message += "; did you mean " + String.join(" or ", u.getSuggestions()) + "?";
    }
    err.println(name + ": " + message + " (see '" + name + " --help')");
    err.flush();
    return failed.getCommandSpec().exitCodeOnInvalidInput();
  }

  /** {@code pyworkers} alone is a usage error: a subcommand is required. */
  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing required subcommand");
  }

  private static int reportFailure(Exception e, CommandLine failed, ParseResult parseResult) {
    PrintWriter err = failed.getErr();
    String message = e.getMessage() != null && !e.getMessage().isBlank() ? e.getMessage() : e.toString();
    err.println(failed.getCommandSpec().qualifiedName() + ": " + message);
    if (isVerbose(parseResult)) e.printStackTrace(err);
    err.flush();
    return failed.getCommandSpec().exitCodeOnExecutionException();
  }

  /** Whether {@code --verbose} appeared on the top command or any subcommand of the parsed line. */
  static boolean isVerbose(ParseResult parseResult) {
    for (ParseResult p = parseResult; p != null; p = p.subcommand()) {
      if (p.hasMatchedOption("--verbose")) return true;
    }
    return false;
  }

  /** Must run before the first logger is made; slf4j-simple reads its level once. */
  private static void configureLogging(boolean verbose) {
    if (System.getProperty(LOG_LEVEL) == null) System.setProperty(LOG_LEVEL, verbose ? "info" : "warn");
  }
}
