package org.isos.admission.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;

import org.isos.admission.internal.OsgiHeader.Clause;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class OsgiHeaderTest {

    @Test
    void clausesWithQuotedCommasAndSeveralPackages() {
        List<Clause> clauses = OsgiHeader.parse(
                "a.b;c.d;version=\"[1.0,2)\";resolution:=optional , e.f;uses:=\"a.b,c.d\";x=\"semi;colon\"");
        assertEquals(2, clauses.size());
        assertEquals(List.of("a.b", "c.d"), clauses.get(0).paths());
        assertEquals(Map.of("version", "[1.0,2)"), clauses.get(0).attributes());
        assertEquals(Map.of("resolution", "optional"), clauses.get(0).directives());
        assertEquals(List.of("e.f"), clauses.get(1).paths());
        assertEquals(Map.of("uses", "a.b,c.d"), clauses.get(1).directives());
        assertEquals(Map.of("x", "semi;colon"), clauses.get(1).attributes());
    }

    @Test
    void escapedQuotesAndTypedAttributes() {
        Clause clause = OsgiHeader.parse("p;note=\"say \\\"hi\\\", then go\";version:Version=1.2").get(0);
        assertEquals("say \"hi\", then go", clause.attributes().get("note"));
        assertEquals("1.2", clause.attributes().get("version"));
    }

    @Test
    void filterDirectiveWithEqualsInside() {
        Clause clause = OsgiHeader.parse("osgi.extender;filter:=\"(&(osgi.extender=osgi.component)(version>=1.5))\"")
                .get(0);
        assertEquals(List.of("osgi.extender"), clause.paths());
        assertEquals("(&(osgi.extender=osgi.component)(version>=1.5))", clause.directives().get("filter"));
    }

    @ParameterizedTest
    @ValueSource(strings = { "a,,b", "a;version=\"1", "a;version=1;b", ";version=1", "a;=1", "a;v=\"1\"x", "\"a\"", "" })
    void malformedHeadersAreRejected(String header) {
        assertThrows(IllegalArgumentException.class, () -> OsgiHeader.parse(header));
    }
}
