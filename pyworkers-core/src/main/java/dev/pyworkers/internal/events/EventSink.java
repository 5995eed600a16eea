package dev.pyworkers.internal.events;

import dev.pyworkers.events.DaemonStarted;
import dev.pyworkers.events.DaemonStopped;
import dev.pyworkers.events.TaskFailed;
import dev.pyworkers.events.TaskFinished;
import dev.pyworkers.events.TaskStarted;
import dev.pyworkers.events.WorkerEnded;
import dev.pyworkers.events.WorkerEventListener;
import dev.pyworkers.events.WorkerReleased;
import dev.pyworkers.events.WorkerReused;
import dev.pyworkers.events.WorkerStarted;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A registry's one way to its {@link WorkerEventListener}. Call sites test {@link #on()} before they make an event,
 * so a registry without a listener makes no event object. Delivery is synchronous; a listener's exception is logged
 * (at WARN the first time for each method, then at DEBUG) and goes no further. Thread-safe.
 */
public final class EventSink {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerEventListener.class);

  /** The sink of a registry with no listener: {@link #on()} is false. */
  public static final EventSink NONE = new EventSink(WorkerEventListener.NONE);

  private final WorkerEventListener listener;
  private final boolean on;
  private final AtomicLong taskIds = new AtomicLong();
  private final Set<String> warned = ConcurrentHashMap.newKeySet();

  private EventSink(WorkerEventListener listener) {
    this.listener = listener;
    this.on = listener != WorkerEventListener.NONE;
  }

  public static EventSink of(WorkerEventListener listener) {
    return listener == WorkerEventListener.NONE ? NONE : new EventSink(listener);
  }

  /** Whether a listener is attached; make an event only when it is. */
  public boolean on() {
    return on;
  }

  /** The next task id (1, 2, ...), or 0 when no listener is attached, as nothing pairs events then. */
  public long nextTaskId() {
    return on ? taskIds.incrementAndGet() : 0;
  }

  public void daemonStarted(DaemonStarted e) {
    deliver("daemonStarted", listener::daemonStarted, e);
  }

  public void daemonStopped(DaemonStopped e) {
    deliver("daemonStopped", listener::daemonStopped, e);
  }

  public void workerStarted(WorkerStarted e) {
    deliver("workerStarted", listener::workerStarted, e);
  }

  public void workerReused(WorkerReused e) {
    deliver("workerReused", listener::workerReused, e);
  }

  public void workerReleased(WorkerReleased e) {
    deliver("workerReleased", listener::workerReleased, e);
  }

  public void workerEnded(WorkerEnded e) {
    deliver("workerEnded", listener::workerEnded, e);
  }

  public void taskStarted(TaskStarted e) {
    deliver("taskStarted", listener::taskStarted, e);
  }

  public void taskFinished(TaskFinished e) {
    deliver("taskFinished", listener::taskFinished, e);
  }

  public void taskFailed(TaskFailed e) {
    deliver("taskFailed", listener::taskFailed, e);
  }

  private <E> void deliver(String method, Consumer<E> call, E event) {
    try {
      call.accept(event);
    } catch (RuntimeException | Error e) {
      if (e instanceof VirtualMachineError) throw (Error) e;
      if (warned.add(method)) {
        LOG.warn("the worker event listener {} threw from {}({}); pyworkers goes on, and logs its further "
            + "exceptions from {} at DEBUG", listener, method, event, method, e);
      } else {
        LOG.debug("the worker event listener {} threw from {}({})", listener, method, event, e);
      }
    }
  }
}
