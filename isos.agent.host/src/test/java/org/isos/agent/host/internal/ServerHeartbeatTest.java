package org.isos.agent.host.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import org.isos.agent.host.HostDescription;
import org.isos.agent.host.HostDescription.NetworkLink;
import org.isos.agent.host.HostDescription.Uptime;
import org.isos.agent.host.OwnerPolicy;
import org.isos.agent.host.OwnerPolicy.AllowedHours;
import org.isos.agent.host.internal.HeartbeatMessages.Answer;
import org.isos.agent.host.internal.HeartbeatMessages.Granted;
import org.isos.agent.host.internal.HeartbeatMessages.LeaseReport;
import org.isos.agent.host.internal.HeartbeatMessages.MalformedAnswer;
import org.isos.agent.host.internal.HeartbeatMessages.Status;
import org.junit.jupiter.api.Test;

/** The heartbeat's JSON and how the server's answer is read (the exchange itself: isos.server.tests). */
class ServerHeartbeatTest {

    static final HostDescription HOST = new HostDescription("Linux 6.1", "Intel \"Core\" i7\tx", 4, 8,
            3_000_000_000L, 16L << 30, 500L << 30, 100L << 30,
            List.of(new NetworkLink("eth0", List.of("10.0.0.2", "fe80::1"), 1_000_000_000L)),
            new Uptime(Instant.parse("2026-11-01T00:00:00Z"), Duration.ofHours(10), Duration.ofHours(9)),
            Instant.parse("2026-11-28T12:00:00Z"));
    /** Nights only; outside them 2.5 credits per hour. */
    static final OwnerPolicy NIGHTS = new OwnerPolicy(List.of(new AllowedHours(LocalTime.of(22, 0), LocalTime.of(7, 0))),
            2.5, 0.5, 10L << 30, 1L << 20, Set.of("storage", "compute"), 0.25, Duration.ofSeconds(60),
            Duration.ofSeconds(1));
    static final String SHA = "9f42".repeat(16);

    private static JsonNode json(String text) throws MalformedAnswer {
        return HeartbeatMessages.tree(text);
    }

    @Test
    void theBodyCarriesTheDescriptionAndStatus() throws Exception {
        JsonNode body = json(HeartbeatMessages.request(HOST, new Status(true, "owner \"busy\"", 2,
                new InetSocketAddress("127.0.0.1", 40123), NIGHTS,
                List.of(new LeaseReport("l1", "ACTIVE", null), new LeaseReport("l2", "FAILED", "TAMPERED: x.class"))),
                LocalTime.of(12, 0)));
        JsonNode d = body.get("description");
        assertEquals("Linux 6.1", d.get("operatingSystem").asText());
        assertEquals("Intel \"Core\" i7\tx", d.get("cpuModel").asText());
        assertEquals(4, d.get("physicalCores").asInt());
        assertEquals(8, d.get("logicalCores").asInt());
        assertEquals(100L << 30, d.get("diskFreeBytes").asLong());
        assertEquals(0.9, d.get("uptime").asDouble());
        assertEquals("2026-11-01T00:00:00Z", d.get("uptimeSince").asText());
        assertEquals("fe80::1", d.get("network").get(0).get("addresses").get(1).asText());
        assertEquals(1_000_000_000L, d.get("network").get(0).get("speedBitsPerSecond").asLong());
        JsonNode s = body.get("status");
        assertTrue(s.get("suspended").asBoolean());
        assertEquals("owner \"busy\"", s.get("reason").asText());
        assertEquals(2, s.get("apps").asInt());
        assertEquals("127.0.0.1:40123", s.get("transport").asText());
        JsonNode p = s.get("policy");
        assertEquals(0.5, p.get("maxCpuShare").asDouble());
        assertEquals(10L << 30, p.get("storageQuotaBytes").asLong());
        assertEquals(1L << 20, p.get("bandwidthCapBytesPerSecond").asLong());
        assertEquals("[\"compute\",\"storage\"]", p.get("acceptedCategories").toString());
        assertEquals(2_500_000, p.get("minimumPricePerHourMicros").asLong(), "noon is outside 22:00-07:00");
        assertEquals("[{\"id\":\"l1\",\"state\":\"ACTIVE\"},{\"id\":\"l2\",\"state\":\"FAILED\",\"reason\":\"TAMPERED: x.class\"}]",
                s.get("leases").toString());
    }

    @Test
    void withoutKernelOrPolicyTheirFieldsAreLeftOut() throws Exception {
        JsonNode s = json(HeartbeatMessages.request(HOST, new Status(false, null, 0, null, null, List.of()),
                LocalTime.NOON)).get("status");
        assertFalse(s.get("suspended").asBoolean());
        assertTrue(s.get("reason").isNull());
        assertFalse(s.has("transport"));
        assertFalse(s.has("policy"));
        assertEquals(0, s.get("leases").size());
    }

    @Test
    void theReservePriceIsZeroInsideTheHoursAndAnIPv6TransportIsBracketed() {
        assertEquals(0, HeartbeatMessages.minimumPricePerHourMicros(NIGHTS, LocalTime.of(23, 0)));
        OwnerPolicy anyTime = new OwnerPolicy(List.of(), 3, 0.5, 0, 1, Set.of(), 0.25, Duration.ofSeconds(1),
                Duration.ofSeconds(1));
        assertEquals(0, HeartbeatMessages.minimumPricePerHourMicros(anyTime, LocalTime.NOON), "no hours, no reserve");
        OwnerPolicy nightsOnly = new OwnerPolicy(NIGHTS.allowedHours(), 0, 0.5, 0, 1, Set.of(), 0.25,
                Duration.ofSeconds(1), Duration.ofSeconds(1));
        assertEquals(0, HeartbeatMessages.minimumPricePerHourMicros(nightsOnly, LocalTime.NOON),
                "the agent suspends work itself then");
        assertEquals("[0:0:0:0:0:0:0:1]:4711", HeartbeatMessages.transport(new InetSocketAddress("::1", 4711)));
    }

    @Test
    void anOwnerWhoNamesNoCategoryOffersEveryCategoryTheServerLeases() {
        OwnerPolicy any = new OwnerPolicy(List.of(), 0, 0.5, 0, 1, Set.of(), 0.25, Duration.ofSeconds(1),
                Duration.ofSeconds(1));
        assertEquals("[\"compute\",\"storage\",\"streaming\"]",
                HeartbeatMessages.policy(any, LocalTime.NOON).get("acceptedCategories").toString());
        OwnerPolicy odd = new OwnerPolicy(List.of(), 0, 0.5, 0, 1, Set.of("rendering", "storage"), 0.25,
                Duration.ofSeconds(1), Duration.ofSeconds(1));
        assertEquals("[\"storage\"]", HeartbeatMessages.policy(odd, LocalTime.NOON).get("acceptedCategories").toString(),
                "a category the server does not lease is not sent (it would refuse the heartbeat)");
    }

    @Test
    void theAllowedHoursGoToTheServerInUtcWithTheReserveOutsideThem() {
        OwnerPolicy hours = new OwnerPolicy(List.of(new OwnerPolicy.AllowedHours(LocalTime.of(22, 0), LocalTime.of(7, 0)),
                new OwnerPolicy.AllowedHours(LocalTime.of(12, 30), LocalTime.of(13, 0)),
                new OwnerPolicy.AllowedHours(LocalTime.MIDNIGHT, LocalTime.MIDNIGHT)), 2.5, 0.5, 0, 1, Set.of(), 0.25,
                Duration.ofSeconds(1), Duration.ofSeconds(1));
        var atPlusTwo = HeartbeatMessages.policy(hours, LocalTime.NOON, java.time.ZoneOffset.ofHours(2));
        assertEquals("[\"20:00-05:00\",\"10:30-11:00\",\"00:00-00:00\"]", atPlusTwo.get("allowedHours").toString());
        assertEquals(2_500_000, atPlusTwo.get("minimumPriceOutsideHoursMicros").asLong());
        var atMinusFiveThirty = HeartbeatMessages.policy(hours, LocalTime.NOON,
                java.time.ZoneOffset.ofHoursMinutes(-5, -30));
        assertEquals("[\"03:30-12:30\",\"18:00-18:30\",\"00:00-00:00\"]",
                atMinusFiveThirty.get("allowedHours").toString());
        OwnerPolicy anyTime = new OwnerPolicy(List.of(), 0, 0.5, 0, 1, Set.of(), 0.25, Duration.ofSeconds(1),
                Duration.ofSeconds(1));
        assertEquals("[]", HeartbeatMessages.policy(anyTime, LocalTime.NOON).get("allowedHours").toString(),
                "no hours: any time");
        assertEquals(0, HeartbeatMessages.policy(anyTime, LocalTime.NOON).get("minimumPriceOutsideHoursMicros").asLong());
    }

    @Test
    void theServersAnswerIsRead() throws Exception {
        Answer a = HeartbeatMessages.answer("""
                {"serverTime": "2026-11-28T12:00:01Z", "nextHeartbeatSeconds": 7, "revokedSerials": ["0a1b", "ff"],
                 "leases": [{"id": "lease-1", "buyer": "buyer-a", "app": "isos.testapp.echo", "bundleSha256": "%s",
                             "expiry": "2026-11-28T13:00:00Z", "cpuShare": 0.25, "memoryBytes": 67108864,
                             "storageQuotaBytes": 1048576, "bandwidthBytesPerSecond": 65536, "state": "PENDING"}],
                 "ended": [{"id": "lease-0", "reason": "RELEASED by the buyer"}, {"id": "lease-00"}]}
                """.formatted(SHA));
        assertEquals("2026-11-28T12:00:01Z", a.serverTime());
        assertEquals(7, a.nextHeartbeatSeconds());
        assertEquals(List.of("0a1b", "ff"), a.revokedSerials());
        assertEquals(1, a.leases().size());
        Granted g = a.leases().get(0);
        assertNull(g.problem());
        assertEquals(SHA, g.bundleSha256());
        assertEquals("buyer-a", g.lease().buyer());
        assertEquals("isos.testapp.echo", g.lease().app());
        assertEquals(Instant.parse("2026-11-28T13:00:00Z"), g.lease().expiry());
        assertEquals(0.25, g.lease().cpuShare());
        assertEquals(65536, g.lease().bandwidthBytesPerSecond());
        assertEquals("RELEASED by the buyer", a.ended().get(0).reason());
        assertEquals("ended by the server", a.ended().get(1).reason());
        assertTrue(a.problems().isEmpty(), a.problems().toString());
    }

    @Test
    void thePeersOfTheAnswerAreReadAndBadOnesNamed() throws Exception {
        Answer a = HeartbeatMessages.answer("""
                {"serverTime": "2026-11-28T12:00:01Z", "peers": [{"hostId": "host-b", "transport": "127.0.0.1:4711"},
                 {"hostId": "host-c", "transport": "[::1]:80"}, {"hostId": "../x", "transport": "127.0.0.1:1"},
                 {"hostId": "host-d", "transport": "nowhere"}, {"hostId": "host-e"}, 3]}
                """);
        assertEquals(List.of("host-b", "host-c"), a.peers().stream().map(HeartbeatMessages.PeerHost::hostId).toList());
        assertEquals(4711, a.peers().get(0).transport().getPort());
        assertEquals("127.0.0.1", a.peers().get(0).transport().getHostString());
        assertEquals(4, a.problems().size(), a.problems().toString());
        assertTrue(a.problems().get(1).contains("'nowhere' is not host:port"), a.problems().toString());
        assertEquals(List.of(), HeartbeatMessages.answer("{\"serverTime\": \"2026-11-28T12:00:01Z\"}").peers(),
                "an older server lists no peers");
    }

    @Test
    void anOlderServersAnswerHasNoLeases() throws Exception {
        Answer a = HeartbeatMessages.answer("{\"serverTime\":\"2026-11-28T12:00:01Z\",\"nextHeartbeatSeconds\":0}");
        assertNull(a.nextHeartbeatSeconds(), "0 is not a period");
        assertEquals(List.of(), a.leases());
        assertEquals(List.of(), a.ended());
        assertEquals(1, a.problems().size());
    }

    @Test
    void badEntriesAreNamedAndTheRestStillCounts() throws Exception {
        Answer a = HeartbeatMessages.answer("""
                {"leases": [{"id": "good", "buyer": "b", "app": "a", "bundleSha256": "%s", "expiry": "2030-01-01T00:00:00Z",
                             "cpuShare": 0.5, "memoryBytes": 1, "storageQuotaBytes": 0, "bandwidthBytesPerSecond": 1},
                            {"id": "bad", "buyer": "b", "app": "a", "bundleSha256": "XYZ", "expiry": "tomorrow",
                             "cpuShare": 2, "memoryBytes": -1, "bandwidthBytesPerSecond": 0},
                            {"id": "../etc"}, 17, {"buyer": "no id"}],
                 "ended": [{"reason": "no id"}, "x"], "revokedSerials": ["not hex!"]}
                """.formatted(SHA));
        assertEquals(List.of("good", "bad"), a.leases().stream().map(Granted::id).toList());
        assertNull(a.leases().get(0).problem());
        String problem = a.leases().get(1).problem();
        assertNull(a.leases().get(1).lease());
        for (String expected : List.of("bundleSha256 'XYZ'", "expiry 'tomorrow'", "memoryBytes -1",
                "storageQuotaBytes missing", "cpuShare 2.0 must be in (0, 1]", "bandwidthBytesPerSecond must be more than 0")) {
            assertTrue(problem.contains(expected), expected + " in " + problem);
        }
        assertEquals(List.of(), a.ended());
        assertEquals(List.of(), a.revokedSerials());
        assertEquals(6, a.problems().size(), a.problems().toString());
    }

    @Test
    void aMalformedAnswerIsRefusedAsAWhole() {
        for (String text : List.of("", "not json", "[1, 2]", "{\"leases\": {\"id\": \"x\"}}", "{\"ended\": 3}",
                "{\"leases\": [", "null")) {
            assertThrows(MalformedAnswer.class, () -> HeartbeatMessages.answer(text), text);
        }
    }

    @Test
    void thePeriodSetting() {
        assertEquals(30, ServerHeartbeat.seconds(null));
        assertEquals(1, ServerHeartbeat.seconds("1"));
        assertEquals(30, ServerHeartbeat.seconds("0"));
        assertEquals(30, ServerHeartbeat.seconds("often"));
    }
}
