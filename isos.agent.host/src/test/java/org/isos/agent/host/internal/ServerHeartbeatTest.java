package org.isos.agent.host.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.isos.agent.host.HostDescription;
import org.isos.agent.host.HostDescription.NetworkLink;
import org.isos.agent.host.HostDescription.Uptime;
import org.junit.jupiter.api.Test;

/** The heartbeat's JSON and how the server's answer is read (the exchange itself: isos.server.tests). */
class ServerHeartbeatTest {

    private static final HostDescription HOST = new HostDescription("Linux 6.1", "Intel \"Core\" i7\tx", 4, 8,
            3_000_000_000L, 16L << 30, 500L << 30, 100L << 30,
            List.of(new NetworkLink("eth0", List.of("10.0.0.2", "fe80::1"), 1_000_000_000L)),
            new Uptime(Instant.parse("2026-11-01T00:00:00Z"), Duration.ofHours(10), Duration.ofHours(9)),
            Instant.parse("2026-11-28T12:00:00Z"));

    @Test
    void theBodyCarriesTheDescriptionAndStatus() {
        String body = ServerHeartbeat.body(HOST, true, "owner \"busy\"", 2);
        // well-formed: the agent's reader walks every member without stumbling
        assertNull(HostEnrollment.stringMember(body, "nothing"));
        assertTrue(body.startsWith("{\"description\": {\"operatingSystem\": \"Linux 6.1\""), body);
        assertTrue(body.contains("\"cpuModel\": \"Intel \\\"Core\\\" i7\\tx\""), body);
        assertTrue(body.contains("\"physicalCores\": 4, \"logicalCores\": 8"), body);
        assertTrue(body.contains("\"diskFreeBytes\": " + (100L << 30)), body);
        assertTrue(body.contains("\"uptime\": 0.9,"), body);
        assertTrue(body.contains("\"network\": [{\"name\": \"eth0\", \"addresses\": [\"10.0.0.2\", \"fe80::1\"], "
                + "\"speedBitsPerSecond\": 1000000000}]"), body);
        assertTrue(body.endsWith("\"status\": {\"suspended\": true, \"reason\": \"owner \\\"busy\\\"\", \"apps\": 2}}"), body);
        assertTrue(ServerHeartbeat.body(HOST, false, null, 0).endsWith(
                "\"status\": {\"suspended\": false, \"reason\": null, \"apps\": 0}}"));
    }

    @Test
    void theServersAnswerIsRead() {
        String answer = "{\"serverTime\":\"2026-11-28T12:00:01Z\",\"nextHeartbeatSeconds\":7,"
                + "\"revokedSerials\":[\"0a1b\",\"ff\"]}";
        assertEquals(7, ServerHeartbeat.nextSeconds(answer, 30));
        assertEquals("2026-11-28T12:00:01Z", HostEnrollment.stringMember(answer, "serverTime"));
        assertEquals(List.of("0a1b", "ff"), ServerHeartbeat.revokedSerials(answer));
        assertEquals(30, ServerHeartbeat.nextSeconds("{\"nextHeartbeatSeconds\": 0}", 30));
        assertEquals(30, ServerHeartbeat.nextSeconds("{}", 30));
        assertEquals(List.of(), ServerHeartbeat.revokedSerials("{\"revokedSerials\": []}"));
    }

    @Test
    void thePeriodSetting() {
        assertEquals(30, ServerHeartbeat.seconds(null));
        assertEquals(1, ServerHeartbeat.seconds("1"));
        assertEquals(30, ServerHeartbeat.seconds("0"));
        assertEquals(30, ServerHeartbeat.seconds("often"));
    }
}
