package dev.pyworkers.arrow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;

/** {@link ArrowGroups#sortedBy} without a worker: where it cuts, what it passes as it is, what it frees. */
class ArrowGroupsTest {
  /** Each group as "key:rows+rows+..." (the row counts of its batches). */
  static List<String> shape(Iterator<ArrowGroup> groups, List<VectorSchemaRoot> input) {
    List<String> out = new ArrayList<>();
    while (groups.hasNext()) {
      try (ArrowGroup g = groups.next()) {
        StringBuilder b = new StringBuilder(String.valueOf(g.key())).append(':');
        Iterator<VectorSchemaRoot> it = g.batches();
        boolean first = true;
        while (it.hasNext()) {
          VectorSchemaRoot r = it.next();
          b.append(first ? "" : "+").append(r.getRowCount()).append(input.contains(r) ? "=" : "");
          first = false;
        }
        out.add(b.toString());
      }
    }
    return out;
  }

  @Test
  void sortedBy_cutsAtKeyChanges_keepsASpanningGroupOne_passesWholeBatchesAsTheyAre_andFreesItsSlices() {
    try (BufferAllocator allocator = new RootAllocator()) {
      Long[] keys = {null, null, 1L, 1L, 1L, 2L, 2L, 2L, 2L, 3L};
      List<VectorSchemaRoot> input = GroupedData.batches(allocator, keys, 3, 0, 2, 3, 1, 1);
      long before = allocator.getAllocatedMemory();
      // "=" marks a caller batch passed as it is
      assertThat(shape(ArrowGroups.sortedBy(input.iterator(), 0), input))
          .containsExactly("[null]:2", "[1]:1+2=", "[2]:3=+1=", "[3]:1=");
      assertThat(allocator.getAllocatedMemory()).as("every slice freed").isEqualTo(before);
      ArrowData.closeAll(input);
    }
  }

  @Test
  void sortedBy_twoKeyColumns_withNullsAndStrings_andABadColumn_failsNamingIt() {
    try (BufferAllocator allocator = new RootAllocator()) {
      Long[] keys = {1L, 1L, 1L};
      List<VectorSchemaRoot> input = GroupedData.batches(allocator, keys, 3);
      // s is null at row 0 and differs at rows 1 and 2
      assertThat(shape(ArrowGroups.sortedBy(input.iterator(), 0, 1), input)).hasSize(3);
      assertThatThrownBy(() -> ArrowGroups.sortedBy(input.iterator(), 5).next())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("key column 5 is not a column of the batch, which has 3 columns [k, s, v]; give key column"
              + " indices below that");
      ArrowData.closeAll(input);
    }
  }

  @Test
  void sortedBy_skipsWhatTheCallerLeftOfAGroup_soTheNextGroupStartsAtTheKeyChange() {
    try (BufferAllocator allocator = new RootAllocator()) {
      Long[] keys = {1L, 1L, 1L, 2L, 2L, 3L};
      List<VectorSchemaRoot> input = GroupedData.batches(allocator, keys, 2, 2, 2);
      Iterator<ArrowGroup> groups = ArrowGroups.sortedBy(input.iterator(), 0);
      List<Object> firstKeys = new ArrayList<>();
      while (groups.hasNext()) {
        try (ArrowGroup g = groups.next()) {
          firstKeys.add(g.key().get(0)); // no batch taken
        }
      }
      assertThat(firstKeys).containsExactly(1L, 2L, 3L);
      ArrowData.closeAll(input);
    }
  }
}
