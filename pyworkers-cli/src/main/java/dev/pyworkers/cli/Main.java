package dev.pyworkers.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code pyworkers} command. Subcommands are groups of their own ({@code bench} now; {@code run} is meant to sit
 * beside it), each listed in {@code subcommands} below, so adding one is adding a class. Exit codes: 0 success,
 * 2 bad arguments, 1 failure, reported as one line on stderr ({@code --verbose} adds the stack trace).
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

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
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
    return cmd;
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
