package org.isos.agent.host.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

import org.isos.agent.host.HostDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OshiHostSurveyTest {

    @TempDir
    Path tmp;

    @Test
    void describesThisMachine() throws Exception {
        OshiHostSurvey survey = new OshiHostSurvey(tmp, Clock.systemUTC(), Oshi.system());
        try {
            HostDescription h = survey.describe();
            assertFalse(h.operatingSystem().isBlank());
            assertFalse(h.cpuModel().isBlank());
            assertTrue(h.logicalCores() >= 1 && h.physicalCores() >= 1, h.toString());
            assertTrue(h.memoryBytes() > 0, h.toString());
            assertTrue(h.diskTotalBytes() > 0 && h.diskFreeBytes() <= h.diskTotalBytes(), h.toString());
            assertNotNull(h.uptime());
            assertTrue(Files.exists(tmp.resolve("uptime")));
        } finally {
            survey.deactivate();
        }
    }

    @Test
    void othersCpuShareIsAFraction() throws Exception {
        CpuLoad load = Oshi.cpuLoad();
        Thread.sleep(50);
        double share = load.othersShare();
        assertTrue(share >= 0 && share <= 1, "share " + share);
    }
}
