package org.isos.agent.host.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class OwnerPresenceTest {

    private static final ZoneId UTC = ZoneOffset.UTC;
    private static final ZoneId PARIS = ZoneId.of("Europe/Paris");

    private static OwnerPresence presence(Map<String, Object> config) throws Exception {
        return new OwnerPresence(PolicyCheck.check(Policies.of(config)));
    }

    private static Instant at(String utc) {
        return Instant.parse("2026-03-10T" + utc + "Z");
    }

    @Test
    void nightWindowHoldsByDayAndRunsByNight() throws Exception {
        OwnerPresence p = presence(Map.of("allowedHours", new String[] { "22:00-07:00" }));
        assertEquals("outside the owner's hours [22:00-07:00]", p.holdReason(at("12:00:00"), UTC, 0, List.of()));
        assertNull(p.holdReason(at("22:00:00"), UTC, 0, List.of()));
        assertNull(p.holdReason(at("03:00:00"), UTC, 0, List.of()));
        assertEquals("outside the owner's hours [22:00-07:00]", p.holdReason(at("07:00:00"), UTC, 0, List.of()));
    }

    @Test
    void hoursAreTheOwnersLocalHours() throws Exception {
        OwnerPresence p = presence(Map.of("allowedHours", new String[] { "22:00-07:00" }));
        // 21:30 UTC is 22:30 in Paris in March (UTC+1)
        assertNull(p.holdReason(at("21:30:00"), PARIS, 0, List.of()));
        assertTrue(p.holdReason(at("21:30:00"), UTC, 0, List.of()) != null);
    }

    @Test
    void aMinimumPriceLeavesTheHoursToTheServer() throws Exception {
        OwnerPresence p = presence(Map.of("allowedHours", new String[] { "22:00-07:00" }, "minimumPriceOutsideHours", 3.0));
        assertNull(p.holdReason(at("12:00:00"), UTC, 0, List.of()));
    }

    @Test
    void otherProcessesAboveTheThresholdHoldUntilTheIdlePeriodPasses() throws Exception {
        OwnerPresence p = presence(Map.of("idlePeriodSeconds", 60.0));
        assertNull(p.holdReason(at("10:00:00"), UTC, 0.25, List.of()), "at the threshold is not above it");
        assertEquals("other processes use 40% of the CPU (threshold 25%)", p.holdReason(at("10:00:01"), UTC, 0.40, List.of()));
        assertTrue(p.holdReason(at("10:01:00"), UTC, 0.01, List.of()) != null, "59 s quiet is not enough");
        assertNull(p.holdReason(at("10:01:01"), UTC, 0.01, List.of()));
        assertNull(p.holdReason(at("10:01:02"), UTC, Double.NaN, List.of()), "an unknown load is no activity");
    }

    @Test
    void activitySourcesAndPushedActivityRestartTheIdlePeriod() throws Exception {
        OwnerPresence p = presence(Map.of("idlePeriodSeconds", 10.0));
        assertEquals("owner activity reported by keyboard", p.holdReason(at("10:00:00"), UTC, 0, List.of("keyboard")));
        p.ownerActive(at("10:00:08"), "tray button");
        assertEquals("tray button", p.holdReason(at("10:00:17"), UTC, 0, List.of()));
        assertNull(p.holdReason(at("10:00:18"), UTC, 0, List.of()));
    }

    @Test
    void aRefusedPolicyHoldsEverythingUntilReplaced() throws Exception {
        OwnerPresence p = presence(Map.of());
        p.refuse("usage policy refused: maxCpuShare 2.0");
        assertEquals("usage policy refused: maxCpuShare 2.0", p.holdReason(at("10:00:00"), UTC, 0, List.of()));
        p.policy(PolicyCheck.check(Policies.defaults()));
        assertNull(p.holdReason(at("10:00:00"), UTC, 0, List.of()));
    }
}
