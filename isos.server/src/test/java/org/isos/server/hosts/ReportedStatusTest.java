package org.isos.server.hosts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

class ReportedStatusTest {

    /** The rule as a regex, as it was written before the check was done by hand. */
    private static final Pattern RULE = Pattern.compile("(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._-]+):[0-9]{1,5}");

    private static boolean byRule(String transport) {
        return transport.length() <= ReportedStatus.MAX_TRANSPORT_CHARS && RULE.matcher(transport).matches()
                && Integer.parseInt(transport.substring(transport.lastIndexOf(':') + 1)) >= 1
                && Integer.parseInt(transport.substring(transport.lastIndexOf(':') + 1)) <= 65535;
    }

    @Test
    void addressesAHostMayReport() {
        for (String good : new String[] { "127.0.0.1:40000", "mary-pc.example.org:1", "[::1]:65535", "[fe80::1]:8080",
                "h_1:00080" }) {
            assertTrue(ReportedStatus.validTransport(good), good);
        }
        for (String bad : new String[] { "", ":80", "host", "host:", "host:0", "host:65536", "host:123456", "[::1]",
                "[]:80", "[::g]:80", "::1:80", "host :80", "host:8 0", "[::1:80", "::1]:80", "ho/st:80", "host:-1",
                "x".repeat(ReportedStatus.MAX_TRANSPORT_CHARS) + ":80" }) {
            assertFalse(ReportedStatus.validTransport(bad), bad);
        }
    }

    @Test
    void theCheckAgreesWithTheRuleOnRandomText() {
        Random random = new Random(42);
        String alphabet = "a1.-_:[]: 0F9/x";
        for (int i = 0; i < 200_000; i++) {
            StringBuilder text = new StringBuilder();
            for (int n = random.nextInt(12); n > 0; n--) {
                text.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String transport = text.toString();
            assertEquals(byRule(transport), ReportedStatus.validTransport(transport), transport);
        }
    }
}
