package org.isos.agent.host.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.LocalTime;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.isos.agent.host.OwnerPolicy;
import org.isos.agent.host.internal.PolicyCheck.PolicyRefused;
import org.junit.jupiter.api.Test;

class PolicyCheckTest {

    @Test
    void defaultsAreAValidPolicyThatAllowsAnyHour() throws Exception {
        OwnerPolicy p = PolicyCheck.check(Policies.defaults());
        assertTrue(p.allowedHours().isEmpty());
        assertTrue(p.withinHours(LocalTime.of(3, 0)));
        assertEquals(0.25, p.activityThreshold());
        assertEquals(Duration.ofSeconds(60), p.idlePeriod());
        assertEquals(Duration.ofSeconds(1), p.samplePeriod());
        assertTrue(p.accepts("anything"), "no categories listed accepts every kind");
        assertFalse(p.hoursEnforcedByHost());
    }

    @Test
    void hoursWrapPastMidnightAndListsMayBeCommaSeparated() throws Exception {
        OwnerPolicy p = PolicyCheck.check(Policies.of(Map.of("allowedHours", new String[] { "22:00-07:00, 12:30-13:30" },
                "acceptedCategories", new String[] { "compute,storage" }, "idlePeriodSeconds", 0.05)));
        assertEquals(2, p.allowedHours().size());
        assertTrue(p.withinHours(LocalTime.of(23, 59)));
        assertTrue(p.withinHours(LocalTime.of(0, 0)));
        assertTrue(p.withinHours(LocalTime.of(6, 59)));
        assertFalse(p.withinHours(LocalTime.of(7, 0)), "the end is exclusive");
        assertTrue(p.withinHours(LocalTime.of(22, 0)), "the start is inclusive");
        assertTrue(p.withinHours(LocalTime.of(12, 45)));
        assertFalse(p.withinHours(LocalTime.of(14, 0)));
        assertEquals(Set.of("compute", "storage"), p.acceptedCategories());
        assertFalse(p.accepts("streaming"));
        assertEquals(Duration.ofMillis(50), p.idlePeriod());
        assertTrue(p.hoursEnforcedByHost());
    }

    @Test
    void wholeDaySpellings() {
        assertTrue(PolicyCheck.hours("00:00-24:00").contains(LocalTime.of(23, 59, 59)));
        assertTrue(PolicyCheck.hours("8:00-8:00").contains(LocalTime.of(3, 0)));
        assertFalse(PolicyCheck.hours("09:00-17:00").contains(LocalTime.of(17, 0)));
    }

    @Test
    void everyBadValueIsNamedAndThePolicyRefused() {
        PolicyRefused e = assertThrows(PolicyRefused.class, () -> PolicyCheck.check(Policies.of(Map.of(
                "allowedHours", new String[] { "25:00-07:00", "soon" },
                "maxCpuShare", 0.0,
                "storageQuotaBytes", -1L,
                "bandwidthCapBytesPerSecond", 0L,
                "acceptedCategories", new String[] { "Games!" },
                "activityThreshold", 1.5,
                "idlePeriodSeconds", Double.NaN,
                "minimumPriceOutsideHours", -2.0,
                "sampleMillis", 1L))));
        List<String> problems = e.problems();
        assertEquals(10, problems.size(), problems.toString());
        assertTrue(problems.contains("allowedHours '25:00-07:00': 25:00 is not a time of day"), problems.toString());
        assertTrue(problems.contains("allowedHours 'soon': expected HH:MM-HH:MM"), problems.toString());
        assertTrue(problems.contains("maxCpuShare 0.0: must be in (0, 1]"), problems.toString());
        assertTrue(e.getMessage().startsWith("usage policy org.isos.agent.policy refused: "), e.getMessage());
    }
}
