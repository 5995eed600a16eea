package dev.pyworkers;

/**
 * A snapshot of one factory's counters, all monotonic since the factory was made.
 *
 * @param forked workers forked by the daemon
 * @param spawned workers spawned as simple {@code python -m <worker module>} processes
 * @param reused acquisitions served from the idle pool
 * @param killed workers stopped (killed) by the factory, for any reason
 * @param evicted idle workers removed from the pool by the pool bound or the idle timeout (also counted in killed)
 * @param recycled workers retired after reaching the configured task limit (also counted in killed)
 * @param discardedDead idle workers found dead or dirty when taken from the pool
 * @param daemonRestarts times the daemon was found unreachable and started again
 * @param idle workers in the idle pool right now
 */
public record WorkerStats(
    long forked,
    long spawned,
    long reused,
    long killed,
    long evicted,
    long recycled,
    long discardedDead,
    long daemonRestarts,
    int idle) {}
