package io.cdchub.sink.iceberg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.TextNode;
import io.cdchub.change.ChangeEvent;
import io.cdchub.sink.RejectedRecordException;
import org.apache.iceberg.types.Types;
import org.junit.jupiter.api.Test;

/** Debezium's unchanged-TOAST placeholder in an Iceberg column: kept in text, refused with the way out elsewhere. */
class IcebergTypesTest {

    private static final TextNode PLACEHOLDER = TextNode.valueOf(ChangeEvent.UNAVAILABLE_VALUE);

    @Test
    void theTOASTPlaceholderStaysInATextColumn() {
        assertThat(IcebergTypes.value("note", PLACEHOLDER, Types.StringType.get())).isEqualTo(ChangeEvent.UNAVAILABLE_VALUE);
    }

    @Test
    void theTOASTPlaceholderInABinaryColumnIsRefusedNamingTheWayOut() {
        assertThatThrownBy(() -> IcebergTypes.value("picture", PLACEHOLDER, Types.BinaryType.get()))
                .isInstanceOf(RejectedRecordException.class)
                .hasMessageContaining("Column 'picture' is an unchanged TOASTed value")
                .hasMessageContaining("REPLICA IDENTITY FULL");
    }
}
