package dev.pyworkers.arrow.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.impl.UnionListWriter;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/** The result schema check, all the way down, and the per-batch check of non-nullable columns. */
class ResultSchemasTest {
  static final ArrowType I64 = new ArrowType.Int(64, true);
  static final ArrowType I32 = new ArrowType.Int(32, true);

  static Field list(String name, String child, ArrowType item) {
    return new Field(name, FieldType.nullable(ArrowType.List.INSTANCE), List.of(Field.nullable(child, item)));
  }

  static Field struct(String name, Field... children) {
    return new Field(name, FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(children));
  }

  static Field map(String name, ArrowType key, ArrowType value) {
    Field entries = new Field("entries", FieldType.notNullable(ArrowType.Struct.INSTANCE),
        List.of(Field.notNullable("key", key), Field.nullable("value", value)));
    return new Field(name, FieldType.nullable(new ArrowType.Map(false)), List.of(entries));
  }

  @Test
  void sameShapes_match_whateverTheListChildIsCalled() {
    Schema want = new Schema(List.of(list("a", "$data$", I64), struct("s", Field.nullable("x", I64)),
        map("m", ArrowType.Utf8.INSTANCE, I64)));
    Schema got = new Schema(List.of(list("a", "item", I64), struct("s", Field.nullable("x", I64)),
        map("m", ArrowType.Utf8.INSTANCE, I64)));
    assertThat(ResultSchemas.mismatch(want, got, true)).isNull();
  }

  @Test
  void aChildOfAnotherType_aRenamedStructField_orAnotherUnit_isNamedWithItsPath() {
    assertThat(ResultSchemas.mismatch(new Schema(List.of(list("a", "item", I64))),
        new Schema(List.of(list("a", "item", I32))), true))
        .isEqualTo("'a.item' is Int(32, true) where Int(64, true) is declared");
    assertThat(ResultSchemas.mismatch(new Schema(List.of(struct("s", Field.nullable("x", I64)))),
        new Schema(List.of(struct("s", Field.nullable("y", I64)))), true))
        .isEqualTo("field 0 of struct 's' is named 'y' where 'x' is declared");
    assertThat(ResultSchemas.mismatch(new Schema(List.of(map("m", ArrowType.Utf8.INSTANCE, I64))),
        new Schema(List.of(map("m", ArrowType.Utf8.INSTANCE, I32))), true))
        .isEqualTo("'m.entries.value' is Int(32, true) where Int(64, true) is declared");
    assertThat(ResultSchemas.mismatch(
        new Schema(List.of(Field.nullable("t", new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC")))),
        new Schema(List.of(Field.nullable("t", new ArrowType.Timestamp(TimeUnit.NANOSECOND, "UTC")))), true))
        .isEqualTo("'t' is Timestamp(NANOSECOND, UTC) where Timestamp(MICROSECOND, UTC) is declared");
    assertThat(ResultSchemas.mismatch(new Schema(List.of(Field.nullable("a", I64))),
        new Schema(List.of(Field.nullable("b", I64))), true))
        .isEqualTo("column 0 is named 'b' where 'a' is declared");
    assertThat(ResultSchemas.mismatch(new Schema(List.of(Field.nullable("a", I64))),
        new Schema(List.of(Field.nullable("b", I64))), false)).isNull();
  }

  @Test
  void aDictionaryEncodedColumn_isRefusedWithWhatToDo() {
    Field encoded = new Field("d", new FieldType(true, ArrowType.Utf8.INSTANCE, new DictionaryEncoding(0, false,
        new ArrowType.Int(32, true))), null);
    assertThat(ResultSchemas.mismatch(new Schema(List.of(Field.nullable("d", ArrowType.Utf8.INSTANCE))),
        new Schema(List.of(encoded)), true)).startsWith("'d' is dictionary-encoded").contains("dictionary_decode()");
  }

  @Test
  void nullsInANonNullableColumnOrChild_areFound_nullsWhereAllowedAreNot() {
    Field items = new Field("l", FieldType.nullable(ArrowType.List.INSTANCE), List.of(Field.notNullable("item",
        I64)));
    Schema schema = new Schema(List.of(items));
    try (BufferAllocator allocator = new RootAllocator();
        VectorSchemaRoot root = VectorSchemaRoot.create(new Schema(List.of(list("l", "item", I64))), allocator)) {
      ListVector v = (ListVector) root.getVector(0);
      UnionListWriter w = v.getWriter();
      w.setPosition(0);
      w.startList();
      w.bigInt().writeBigInt(1);
      w.bigInt().writeNull();
      w.endList();
      w.setValueCount(1);
      root.setRowCount(1);
      try (ArrowRecordBatch batch = new VectorUnloader(root).getRecordBatch()) {
        assertThat(ResultSchemas.nullsInNonNullable(schema, batch))
            .isEqualTo("'l.item' is declared not nullable, but holds 1 nulls");
        assertThat(ResultSchemas.nullsInNonNullable(root.getSchema(), batch)).isNull();
      }
    }
  }
}
