package io.cdchub.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The shape comparison {@link ConnectShapeIT} relies on: it must see what a client would trip over. */
class ConnectShapeCompareTest {

    private static List<String> differences(String connect, String hub) throws Exception {
        List<String> found = new ArrayList<>();
        ConnectShapeIT.compare("", AdminHttp.JSON.readTree(connect), AdminHttp.JSON.readTree(hub), found);
        return found;
    }

    @Test
    void fieldsTypesAndArraysAreComparedButNotValues() throws Exception {
        assertThat(differences("{\"name\": \"a\", \"tasks\": [{\"id\": 0}]}", "{\"name\": \"b\", \"tasks\": [{\"id\": 3}]}")).isEmpty();
        assertThat(differences("{\"name\": \"a\"}", "{\"name\": 1}")).containsExactly(".name: NUMBER, Connect STRING");
        assertThat(differences("{\"name\": \"a\", \"type\": \"source\"}", "{\"name\": \"a\"}")).containsExactly(".type: missing");
        assertThat(differences("{\"name\": \"a\"}", "{\"name\": \"a\", \"extra\": true}")).containsExactly(".extra: not in Connect's");
        assertThat(differences("{\"tasks\": [{\"id\": 0}]}", "{\"tasks\": [{\"task\": 0}]}")).containsExactly(".tasks[].id: missing",
                ".tasks[].task: not in Connect's");
        assertThat(differences("{\"tasks\": []}", "{\"tasks\": [{\"task\": 0}]}")).isEmpty();
        assertThat(differences("{\"trace\": null}", "{\"trace\": \"x\"}")).isEmpty();
    }

    @Test
    void configurationsOffsetsAndErrorExtrasAreAllowedToDiffer() throws Exception {
        assertThat(differences("{\"config\": {\"a\": \"1\"}, \"offset\": {\"lsn\": 1}}", "{\"config\": {\"b\": \"2\"}, \"offset\": {}}")).isEmpty();
        assertThat(differences("{\"error_code\": 404, \"message\": \"m\"}", "{\"error_code\": 404, \"message\": \"m\", \"status\": 404, "
                + "\"error\": \"Not Found\", \"field\": \"x\"}")).isEmpty();
        assertThat(differences("{\"message\": \"m\"}", "{\"message\": \"m\", \"status\": 200}")).containsExactly(".status: not in Connect's");
    }
}
