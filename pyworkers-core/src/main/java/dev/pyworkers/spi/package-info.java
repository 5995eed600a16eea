/**
 * The service provider interface for eval types: what a module implements to run Python functions over a data
 * format of its own (Arrow batches, a driver's commands, ...) through {@link dev.pyworkers.PythonRunner}, without
 * any change to core. Core runs the task's lifecycle (worker acquisition, the common task header, the writer thread,
 * the reader, the end handshake, kills, timeouts, the stall watch, crash reports and metrics) and knows no eval type;
 * an {@link dev.pyworkers.spi.EvalTypeCodec} adds the eval type's part of the header (its command), and its
 * per-task {@link dev.pyworkers.spi.TaskExchange} turns the caller's input into data frames and the worker's data
 * frames into results. docs/spi.md walks through adding an eval type; docs/protocol.md section 5 has the bytes.
 *
 * <p>A module author sees only {@code dev.pyworkers} and this package; nothing here exposes an internal type.
 */
package dev.pyworkers.spi;
