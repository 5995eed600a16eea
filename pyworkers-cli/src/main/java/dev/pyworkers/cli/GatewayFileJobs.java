package dev.pyworkers.cli;

import dev.pyworkers.cli.run.ExitCode;
import dev.pyworkers.cli.run.Failures;
import dev.pyworkers.cli.run.RunFailure;
import dev.pyworkers.cli.run.RunJob;
import dev.pyworkers.cli.run.RunSettings;
import dev.pyworkers.cli.run.RunSummary;
import dev.pyworkers.gateway.spi.FileJobs;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;

/**
 * {@code pyworkers run} for the Python driver's {@code Gateway.run_file}, in the gateway's JVM: the same option
 * parsing and checks ({@link RunArguments}), the same {@link RunJob}, and the same exit codes and messages as the
 * command, without a JVM of its own. Progress and stall warnings go to the JVM's stderr, which is the driver's.
 * Registered as the {@link FileJobs} service. Stateless; thread-safe.
 */
public final class GatewayFileJobs implements FileJobs {
  @Override
  public FileJob start(List<String> args) {
    List<String> full = new ArrayList<>(args.size() + 1);
    full.add("run");
    full.addAll(args);
    RunSettings settings;
    try {
      CommandLine root = Main.commandLine();
      CommandLine.ParseResult parsed = root.parseArgs(full.toArray(new String[0]));
      if (!parsed.hasSubcommand()) throw new CommandLine.ParameterException(root, "no run arguments");
      CommandLine run = parsed.subcommand().commandSpec().commandLine();
      if (run.isUsageHelpRequested() || run.isVersionHelpRequested()) {
        throw new CommandLine.ParameterException(run, "--help and --version are for the command line");
      }
      settings = new RunArguments(run).settings(run.getCommand());
    } catch (CommandLine.ParameterException e) {
      return Job.ended(ExitCode.BAD_ARGUMENT.code(), "pyworkers run: " + e.getMessage());
    }
    Job job = new Job(new RunJob(settings, System.err));
    Thread t = new Thread(job::run, "pyworkers-run-file");
    t.setDaemon(true);
    t.start();
    return job;
  }

  private static final class Job implements FileJob {
    private final RunJob run;
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile int code = -1;
    private volatile String message = "";
    private volatile long records = -1;

    Job(RunJob run) {
      this.run = run;
    }

    static Job ended(int code, String message) {
      Job j = new Job(null);
      j.finish(code, message, -1);
      return j;
    }

    void run() {
      try {
        RunSummary s = run.run();
        finish(ExitCode.OK.code(), s.line(), s.records());
      } catch (RunFailure f) {
        finish(run.isInterrupted() ? ExitCode.INTERRUPTED.code() : f.exitCode().code(),
            "pyworkers run: " + f.getMessage(), -1);
      } catch (RuntimeException | Error e) {
        finish(run.isInterrupted() ? ExitCode.INTERRUPTED.code() : ExitCode.FAILURE.code(),
            "pyworkers run: internal error: " + Failures.describeInternal(e), -1);
      }
    }

    private void finish(int c, String m, long r) {
      message = m;
      records = r;
      code = c;
      done.countDown();
    }

    @Override
    public int waitFor(long millis) throws InterruptedException {
      return done.await(millis, TimeUnit.MILLISECONDS) ? code : -1;
    }

    @Override
    public String message() {
      return message;
    }

    @Override
    public long records() {
      return records;
    }

    @Override
    public void cancel() {
      if (run != null && done.getCount() > 0) run.interrupt(2_000);
    }
  }
}
