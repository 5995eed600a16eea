package dev.pyworkers.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The pool's rules with narrated time: newest out first, oldest evicted at the bound, expiry by age. */
class IdlePoolTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void takesTheNewestFirst() {
    IdlePool<String> pool = new IdlePool<>(10, 60 * SECOND);
    pool.add("a", 0);
    pool.add("b", 1);
    pool.add("c", 2);
    assertThat(pool.takeNewest()).isEqualTo("c");
    assertThat(pool.takeNewest()).isEqualTo("b");
    assertThat(pool.takeNewest()).isEqualTo("a");
    assertThat(pool.takeNewest()).isNull();
  }

  @Test
  void passingTheBound_pushesOutTheOldest() {
    IdlePool<String> pool = new IdlePool<>(2, 60 * SECOND);
    assertThat(pool.add("a", 0)).isNull();
    assertThat(pool.add("b", 1)).isNull();
    assertThat(pool.add("c", 2)).isEqualTo("a");
    assertThat(pool.size()).isEqualTo(2);
  }

  @Test
  void expiresByAge_andTellsWhenTheNextExpiryIs() {
    IdlePool<String> pool = new IdlePool<>(10, 10 * SECOND);
    assertThat(pool.nanosUntilNextExpiry(0)).isEqualTo(-1);
    pool.add("a", 0);
    pool.add("b", 4 * SECOND);
    assertThat(pool.nanosUntilNextExpiry(1 * SECOND)).isEqualTo(9 * SECOND);
    assertThat(pool.expire(9 * SECOND)).isEmpty();
    assertThat(pool.expire(10 * SECOND)).containsExactly("a");
    assertThat(pool.nanosUntilNextExpiry(10 * SECOND)).isEqualTo(4 * SECOND);
    assertThat(pool.expire(20 * SECOND)).containsExactly("b");
    assertThat(pool.size()).isZero();
  }

  @Test
  void removeAndDrain() {
    IdlePool<String> pool = new IdlePool<>(10, SECOND);
    pool.add("a", 0);
    pool.add("b", 0);
    assertThat(pool.remove("a")).isTrue();
    assertThat(pool.remove("a")).isFalse();
    assertThat(pool.drain()).containsExactly("b");
    assertThat(pool.size()).isZero();
  }
}
