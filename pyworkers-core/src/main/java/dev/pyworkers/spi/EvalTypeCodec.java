package dev.pyworkers.spi;

import dev.pyworkers.EvalType;
import dev.pyworkers.PythonFunction;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;

/**
 * One eval type's configuration for one runner: its number and name, its Python handler, the functions it ships, its
 * command (its part of the task header) and a factory of per-task {@link TaskExchange}s. Register one with
 * {@code PythonRunner.builder(registry).evalType(codec)}. Must be thread-safe: tasks of one runner run at once, each
 * with its own exchange.
 */
public interface EvalTypeCodec {
  /** The eval type's number and name; the number goes in every task header. */
  EvalType evalType();

  /**
   * The Python handler, {@code "module:attribute"} (e.g. {@code "pwit.handler:HANDLER"}), that the worker imports on
   * the first task of this eval type; its module must be on the worker's path (a bundled jar's Python, or an
   * include). For a built-in eval type it must be the built-in handler.
   */
  String handler();

  /**
   * Every function this codec ships, in wire order. Core reads their Python executable and version, includes,
   * environment, broadcasts and accumulators; the codec itself writes them into its command.
   */
  List<PythonFunction> functions();

  /**
   * Writes the command: the bytes the handler reads before the task's data (functions, options). Called once, when
   * the runner is built; the same bytes go with every task, as a length-prefixed block of at most 1 GiB.
   * {@link Commands} writes the common pieces (strings, functions) the way the Python side reads them.
   */
  void writeCommand(DataOutputStream out) throws IOException;

  /** A new exchange for one task; called on the caller's thread of {@code compute}. */
  TaskExchange newExchange(TaskInfo task);
}
