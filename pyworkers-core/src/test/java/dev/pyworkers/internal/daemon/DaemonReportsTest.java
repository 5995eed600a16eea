package dev.pyworkers.internal.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.internal.protocol.WorkerExit;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import org.junit.jupiter.api.Test;

/** Reading a daemon's exit reports from its stdout, without a daemon. */
class DaemonReportsTest {
  @Test
  void awaitExit_returnsTheReportOfThatWorker_onceItArrives() throws IOException {
    PipedOutputStream daemonStdout = new PipedOutputStream();
    DaemonReports reports = DaemonReports.start(new PipedInputStream(daemonStdout), 99);
    WorkerExit killed = new WorkerExit(7, WorkerExit.How.SIGNALED, 9, "SIGKILL", 12);
    WorkerExit exited = new WorkerExit(8, WorkerExit.How.EXITED, 0, "", 13);
    assertThat(reports.awaitExit(7, 20)).isNull();
    daemonStdout.write(killed.encode());
    daemonStdout.write(exited.encode());
    daemonStdout.flush();
    assertThat(reports.awaitExit(8, 5000)).isEqualTo(exited);
    assertThat(reports.awaitExit(7, 0)).isEqualTo(killed);
    daemonStdout.close();
    assertThat(reports.awaitExit(6, 5000)).isNull();  // ended: returns at once
  }

  @Test
  void badBytes_endTheReports_andTheRestIsDrained() throws IOException {
    byte[] good = new WorkerExit(7, WorkerExit.How.EXITED, 1, "", 3).encode();
    byte[] stream = new byte[good.length + 8 + good.length];
    System.arraycopy(good, 0, stream, 0, good.length);
    System.arraycopy("GARBAGE!".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, stream, good.length, 8);
    System.arraycopy(new WorkerExit(8, WorkerExit.How.EXITED, 2, "", 4).encode(), 0, stream, good.length + 8,
        good.length);
    ByteArrayInputStream in = new ByteArrayInputStream(stream);
    DaemonReports reports = DaemonReports.start(in, 99);
    assertThat(reports.awaitExit(8, 5000)).isNull();
    assertThat(reports.awaitExit(7, 0)).extracting(WorkerExit::describe).isEqualTo("exited with code 1");
    assertThat(in.available()).isZero();
  }
}
