package dev.pyworkers.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ThroughputFunctionTest {
  @Test
  void isPrefixedNumber_acceptsExactlyPrefixPlusDecimal() {
    assertThat(ThroughputFunction.isPrefixedNumber("ROW0", "ROW", 0)).isTrue();
    assertThat(ThroughputFunction.isPrefixedNumber("ROW9", "ROW", 9)).isTrue();
    assertThat(ThroughputFunction.isPrefixedNumber("ROW10", "ROW", 10)).isTrue();
    assertThat(ThroughputFunction.isPrefixedNumber("ROW4999999", "ROW", 4_999_999)).isTrue();
  }

  @Test
  void isPrefixedNumber_rejectsNearMisses() {
    assertThat(ThroughputFunction.isPrefixedNumber("row12", "ROW", 12)).isFalse(); // not upper-cased
    assertThat(ThroughputFunction.isPrefixedNumber("ROW012", "ROW", 12)).isFalse(); // leading zero
    assertThat(ThroughputFunction.isPrefixedNumber("ROW13", "ROW", 12)).isFalse();
    assertThat(ThroughputFunction.isPrefixedNumber("ROW1", "ROW", 12)).isFalse();
    assertThat(ThroughputFunction.isPrefixedNumber("ROW1x", "ROW", 12)).isFalse();
    assertThat(ThroughputFunction.isPrefixedNumber("", "ROW", 0)).isFalse();
    assertThatThrownBy(() -> ThroughputFunction.isPrefixedNumber("ROW-1", "ROW", -1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void matches_checksEachFunctionsResult() {
    assertThat(ThroughputFunction.IDENTITY.matches(7, 7L)).isTrue();
    assertThat(ThroughputFunction.IDENTITY.matches(7, 7)).isTrue(); // Pyrolite gives Integer for small ints
    assertThat(ThroughputFunction.IDENTITY.matches(7, 8L)).isFalse();
    assertThat(ThroughputFunction.INC.matches(7, 8L)).isTrue();
    assertThat(ThroughputFunction.INC.matches(7, 7L)).isFalse();
    assertThat(ThroughputFunction.INC.matches(7, "8")).isFalse();
    assertThat(ThroughputFunction.INC.matches(7, null)).isFalse();
    assertThat(ThroughputFunction.STR.matches(42, "ROW42")).isTrue();
    assertThat(ThroughputFunction.STR.matches(42, "row42")).isFalse();
    assertThat(ThroughputFunction.STR.matches(42, 42L)).isFalse();
  }

  @Test
  void inputs_areTheValuesTheBaselineBuilds() {
    assertThat(ThroughputFunction.INC.input(12345)).isEqualTo(12345L);
    assertThat(ThroughputFunction.STR.input(12345)).isEqualTo("row12345");
  }

  @Test
  void nonUdfSource_mapsTheSameFunction_asRddMapDoes() {
    assertThat(ThroughputFunction.STR.functionName()).isEqualTo("upper");
    assertThat(ThroughputFunction.STR.nonUdfSource()).isEqualTo("def upper(s):\n    return s.upper()\n\n\n"
        + "def run(index, it):\n    return map(upper, it)\n");
  }
}
