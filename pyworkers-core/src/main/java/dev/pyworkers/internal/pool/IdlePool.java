package dev.pyworkers.internal.pool;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * A bounded stack of idle items, newest on top. Take the newest (the warmest), evict the oldest when the bound is
 * passed, expire items idle for longer than the timeout. Time is a parameter ({@code now} in nanoseconds), so
 * callers and tests narrate it. Not thread-safe: guarded by its factory's lock.
 */
public final class IdlePool<T> {
  private record Entry<T>(T item, long since) {}

  private final ArrayDeque<Entry<T>> entries = new ArrayDeque<>();
  private final int maxSize;
  private final long timeoutNanos;

  public IdlePool(int maxSize, long timeoutNanos) {
    this.maxSize = maxSize;
    this.timeoutNanos = timeoutNanos;
  }

  /** The most recently added item, or null when empty. */
  public T takeNewest() {
    Entry<T> e = entries.pollLast();
    return e == null ? null : e.item;
  }

  /** Adds an item idle since {@code now}; returns the oldest item it pushed out of the bound, or null. */
  public T add(T item, long now) {
    entries.addLast(new Entry<>(item, now));
    return entries.size() > maxSize ? entries.pollFirst().item : null;
  }

  /** Removes and returns the given item if it is here. */
  public boolean remove(T item) {
    for (Iterator<Entry<T>> it = entries.iterator(); it.hasNext(); ) {
      if (it.next().item == item) {
        it.remove();
        return true;
      }
    }
    return false;
  }

  /** Removes and returns every item idle for at least the timeout at {@code now}. */
  public List<T> expire(long now) {
    List<T> out = new ArrayList<>();
    while (!entries.isEmpty() && now - entries.peekFirst().since >= timeoutNanos) {
      out.add(entries.pollFirst().item);
    }
    return out;
  }

  /** Nanoseconds from {@code now} until the oldest item expires, or -1 when empty. */
  public long nanosUntilNextExpiry(long now) {
    Entry<T> oldest = entries.peekFirst();
    return oldest == null ? -1 : Math.max(0, oldest.since + timeoutNanos - now);
  }

  public List<T> drain() {
    List<T> out = new ArrayList<>();
    for (Entry<T> e : entries) out.add(e.item);
    entries.clear();
    return out;
  }

  public int size() {
    return entries.size();
  }
}
