package org.isos.agent.host.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.isos.agent.host.internal.HeartbeatMessages.Answer;
import org.junit.jupiter.api.Test;

/** The heartbeat answer's owner directive as the agent reads it: all of it, or none of it with the reason. */
class DirectiveMessagesTest {

    private static final String BASE = "{\"serverTime\": \"2026-01-01T00:00:00Z\", \"nextHeartbeatSeconds\": 5, "
            + "\"revokedSerials\": [], \"leases\": [], \"ended\": []";

    @Test
    void aDirectiveWithAPolicyIsReadWhole() throws Exception {
        Answer answer = HeartbeatMessages.answer(BASE + ", \"directives\": {\"policy\": {\"maxCpuShare\": 0.3, "
                + "\"storageQuotaBytes\": 1000, \"bandwidthCapBytesPerSecond\": 2000, \"acceptedCategories\": "
                + "[\"compute\", \"storage\"], \"minimumPricePerHourMicros\": 7}, \"paused\": true, \"revision\": 4}}");
        assertEquals(List.of(), answer.problems());
        assertEquals(new OwnerDirectives.Directives(4, true,
                new OwnerDirectives.Policy(0.3, 1000, 2000, List.of("compute", "storage"), 7)), answer.directives());
    }

    @Test
    void noDirectiveFromAnOlderServerAndNoPolicyMeansTheAgentKeepsItsOwn() throws Exception {
        assertNull(HeartbeatMessages.answer(BASE + "}").directives());
        assertEquals(new OwnerDirectives.Directives(0, false, null),
                HeartbeatMessages.answer(BASE + ", \"directives\": {\"policy\": null, \"paused\": false, \"revision\": 0}}")
                        .directives());
    }

    @Test
    void aDirectiveWithAnyUnusableValueIsSkippedAndNamed() throws Exception {
        for (String[] bad : new String[][] {
                { "{\"policy\": null, \"paused\": \"yes\", \"revision\": 1}", "paused" },
                { "{\"policy\": null, \"paused\": false, \"revision\": -1}", "revision" },
                { "{\"policy\": {\"maxCpuShare\": 1.5, \"storageQuotaBytes\": 0, \"bandwidthCapBytesPerSecond\": 1, "
                        + "\"acceptedCategories\": [], \"minimumPricePerHourMicros\": 0}, \"paused\": false, \"revision\": 1}",
                        "maxCpuShare" },
                { "{\"policy\": {\"maxCpuShare\": 0.5, \"storageQuotaBytes\": 0, \"bandwidthCapBytesPerSecond\": 0, "
                        + "\"acceptedCategories\": [], \"minimumPricePerHourMicros\": 0}, \"paused\": false, \"revision\": 1}",
                        "bandwidthCapBytesPerSecond" },
                { "{\"policy\": {\"maxCpuShare\": 0.5, \"storageQuotaBytes\": 0, \"bandwidthCapBytesPerSecond\": 1, "
                        + "\"acceptedCategories\": [\"Rm -rf\"], \"minimumPricePerHourMicros\": 0}, \"paused\": false, "
                        + "\"revision\": 1}", "acceptedCategories" },
                { "[]", "not an object" } }) {
            Answer answer = HeartbeatMessages.answer(BASE + ", \"directives\": " + bad[0] + "}");
            assertNull(answer.directives(), bad[0]);
            assertTrue(String.join("; ", answer.problems()).contains(bad[1]), answer.problems() + " names " + bad[1]);
            assertEquals(5, answer.nextHeartbeatSeconds(), "the rest of the answer still counts");
        }
    }
}
