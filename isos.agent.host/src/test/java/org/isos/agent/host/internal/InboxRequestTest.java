package org.isos.agent.host.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.time.Instant;
import java.util.Properties;

import org.isos.agent.host.internal.InboxRequest.Action;
import org.isos.agent.host.internal.InboxRequest.BadInput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class InboxRequestTest {

    static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");
    static final String HOST = """
            id=lease-1
            buyer=buyer-a
            app=isos.testapp.echo
            seconds=60
            cpuShare=0.5
            memoryBytes=67108864
            storageQuotaBytes=1048576
            bandwidthBytesPerSecond=1048576
            bundle=echo.jar
            """;

    static Properties props(String text) throws IOException {
        Properties p = new Properties();
        p.load(new StringReader(text));
        return p;
    }

    static String refusal(String text) throws IOException {
        BadInput e = assertThrows(BadInput.class, () -> InboxRequest.parse(props(text), NOW));
        assertTrue(e.getMessage().startsWith("BAD_INPUT: "), e.getMessage());
        return e.getMessage();
    }

    @Test
    void aCompleteHostRequestMakesALease() throws Exception {
        InboxRequest r = InboxRequest.parse(props(HOST), NOW);
        assertEquals(Action.HOST, r.action());
        assertEquals("lease-1", r.lease().id());
        assertEquals("buyer-a", r.lease().buyer());
        assertEquals("isos.testapp.echo", r.lease().app());
        assertEquals(NOW.plusSeconds(60), r.lease().expiry());
        assertEquals(0.5, r.lease().cpuShare());
        assertEquals(64L << 20, r.lease().memoryBytes());
        assertEquals(1L << 20, r.lease().storageQuotaBytes());
        assertEquals(1L << 20, r.lease().bandwidthBytesPerSecond());
        assertEquals("echo.jar", r.bundle());
        assertNull(r.bundleSha256(), "the jar's own digest unless given");
    }

    @Test
    void anExpiryInstantInsteadOfSeconds() throws Exception {
        InboxRequest r = InboxRequest.parse(props(HOST.replace("seconds=60", "expiry=2026-11-28T13:00:00Z")), NOW);
        assertEquals(Instant.parse("2026-11-28T13:00:00Z"), r.lease().expiry());
    }

    @Test
    void everyMissingFieldIsNamedAtOnce() throws Exception {
        String m = refusal("id=lease-1\nbundle=echo.jar\n");
        for (String field : new String[] { "buyer missing", "app missing", "cpuShare missing", "memoryBytes missing",
                "storageQuotaBytes missing", "bandwidthBytesPerSecond missing", "expiry (an ISO instant" }) {
            assertTrue(m.contains(field), field + " in: " + m);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "cpuShare=0.5|cpuShare=2|cpuShare 2.0 must be in (0, 1]",
            "cpuShare=0.5|cpuShare=half|cpuShare 'half' is not a number",
            "memoryBytes=67108864|memoryBytes=64M|memoryBytes '64M' is not a whole number",
            "storageQuotaBytes=1048576|storageQuotaBytes=-1|storageQuotaBytes -1 must be 0 or more",
            "bandwidthBytesPerSecond=1048576|bandwidthBytesPerSecond=0|bandwidthBytesPerSecond must be more than 0",
            "seconds=60|seconds=-5|seconds -5 must be more than 0",
            "seconds=60|expiry=tomorrow|expiry 'tomorrow' is not an ISO instant",
            "seconds=60|expiry=2026-11-28T11:00:00Z|is not in the future",
            "seconds=60|seconds=60\\nexpiry=2026-11-28T13:00:00Z|give expiry or seconds, not both",
            "bundle=echo.jar|bundle=../echo.jar|without a path",
            "bundle=echo.jar|bundle=echo.zip|must be the name of a .jar file",
            "id=lease-1|id=lease 1|id 'lease 1' must be",
            "id=lease-1|action=destroy|action 'destroy' is not one of",
            "app=isos.testapp.echo|app=isos.testapp.echo\\nexpiery=x|unknown field(s) [expiery]",
            "bundle=echo.jar|bundle=echo.jar\\nbundleSha256=ABC|bundleSha256 'ABC' must be 64",
    })
    void badValuesAreRefusedWithTheirReason(String from, String to, String expected) throws Exception {
        String m = refusal(HOST.replace(from, to.replace("\\n", "\n")));
        assertTrue(m.contains(expected), "expected '" + expected + "' in: " + m);
    }

    @Test
    void renewNeedsOnlyIdAndExpiry() throws Exception {
        InboxRequest r = InboxRequest.parse(props("action=renew\nid=lease-1\nseconds=120\n"), NOW);
        assertEquals(Action.RENEW, r.action());
        assertEquals(NOW.plusSeconds(120), r.expiry());
        assertNull(r.lease());
        assertTrue(refusal("action=renew\nid=lease-1\n").contains("expiry (an ISO instant"));
    }

    @Test
    void endNeedsOnlyTheId() throws Exception {
        InboxRequest r = InboxRequest.parse(props("action=END\nid=lease-1\n"), NOW);
        assertEquals(Action.END, r.action());
        assertEquals("ended through the agent's inbox", r.reason());
        assertEquals("revoked", InboxRequest.parse(props("action=end\nid=lease-1\nreason=revoked\n"), NOW).reason());
        assertTrue(refusal("action=end\n").contains("id missing"));
    }

    @Test
    void updateNeedsIdAndBundle() throws Exception {
        InboxRequest r = InboxRequest.parse(props("action=update\nid=lease-1\nbundle=echo-2.jar\n"), NOW);
        assertEquals(Action.UPDATE, r.action());
        assertEquals("echo-2.jar", r.bundle());
        assertTrue(refusal("action=update\nid=lease-1\n").contains("bundle missing"));
    }
}
