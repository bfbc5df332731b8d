package org.isos.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class QuantitiesTest {

    @Test
    void durations() {
        assertEquals(90, Quantities.seconds("90s"));
        assertEquals(90, Quantities.seconds("90"));
        assertEquals(600, Quantities.seconds("10m"));
        assertEquals(7200, Quantities.seconds("2h"));
        assertEquals(86400, Quantities.seconds("1d"));
        assertEquals(5400, Quantities.seconds("1h30m"));
        assertEquals(93784, Quantities.seconds("1d2h3m4s"));
        assertEquals(7200, Quantities.seconds(" 2H "));
        for (String bad : new String[] { "", "0", "0s", "-5s", "5x", "s", "1.5h", "30m1h", "1h1h", "1h 30m", "99999999999999" }) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Quantities.seconds(bad), bad);
            assertTrue(e.getMessage().contains("duration") || e.getMessage().contains("ten years"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Quantities.seconds(null));
        assertThrows(IllegalArgumentException.class, () -> Quantities.seconds("4000d"), "over ten years");
    }

    @Test
    void sizes() {
        assertEquals(64L << 20, Quantities.bytes("64MiB"));
        assertEquals(64L << 20, Quantities.bytes("64m"));
        assertEquals(100_000_000L, Quantities.bytes("100MB"));
        assertEquals(1536, Quantities.bytes("1.5KiB"));
        assertEquals(1L << 30, Quantities.bytes("1 GiB"));
        assertEquals(4096, Quantities.bytes("4096"));
        assertEquals(4096, Quantities.bytes("4096B"));
        assertEquals(2L << 40, Quantities.bytes("2TiB"));
        for (String bad : new String[] { "", "0", "0MiB", "1.5", "0.1B", "64XB", "-1", "MiB", "1e3" }) {
            assertThrows(IllegalArgumentException.class, () -> Quantities.bytes(bad), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> Quantities.bytes("99999999999TiB"), "overflow");
        assertEquals("64MiB", Quantities.size(64L << 20));
        assertEquals("1.5KiB", Quantities.size(1536));
        assertEquals("100B", Quantities.size(100));
    }

    @Test
    void rates() {
        assertEquals(32_000, Quantities.bytesPerSecond("256kbit"));
        assertEquals(1_250_000, Quantities.bytesPerSecond("10Mbit"));
        assertEquals(250_000, Quantities.bytesPerSecond("2mbps"));
        assertEquals(1 << 20, Quantities.bytesPerSecond("1MiB/s"));
        assertEquals(1 << 20, Quantities.bytesPerSecond("1MiB"));
        assertEquals(65536, Quantities.bytesPerSecond("65536"));
        assertEquals(1000, Quantities.bytesPerSecond("1KB/s"));
        assertEquals(125, Quantities.bytesPerSecond("1001bit"), "a fraction of a byte is rounded down");
        for (String bad : new String[] { "", "0", "1bit", "fast", "10 furlongs", "-1kbit", "1MiB/h" }) {
            assertThrows(IllegalArgumentException.class, () -> Quantities.bytesPerSecond(bad), bad);
        }
    }

    @Test
    void cpuShares() {
        assertEquals(0.25, Quantities.cpuShare("0.25"));
        assertEquals(0.25, Quantities.cpuShare("25%"));
        assertEquals(1.0, Quantities.cpuShare("1"));
        for (String bad : new String[] { "", "0", "0%", "1.01", "150%", "-0.5", "half" }) {
            assertThrows(IllegalArgumentException.class, () -> Quantities.cpuShare(bad), bad);
        }
    }

    @Test
    void availabilitiesAndWindows() {
        assertEquals(0.9, Quantities.availability("0.9"));
        assertEquals(0.9, Quantities.availability("90%"));
        assertEquals(0.0, Quantities.availability("0"));
        for (String bad : new String[] { "", "1.01", "101%", "-0.1", "often" }) {
            assertThrows(IllegalArgumentException.class, () -> Quantities.availability(bad), bad);
        }
        assertEquals("22:00-06:00", Quantities.window(" 22:00-06:00 "));
        assertEquals("00:00-24:00", Quantities.window("00:00-24:00"));
        for (String bad : new String[] { "", "22-06", "22:00", "24:01-01:00", "10:60-11:00", "9:00-17:00" }) {
            assertThrows(IllegalArgumentException.class, () -> Quantities.window(bad), bad);
        }
    }

    @Test
    void credits() {
        assertEquals(10_500_000, Quantities.micros("10.5"));
        assertEquals(1_000_000_000, Quantities.micros("1000"));
        assertEquals(1, Quantities.micros("0.000001"));
        for (String bad : new String[] { "", "0", "-1", "0.0000001", "ten", "1e99999" }) {
            assertThrows(IllegalArgumentException.class, () -> Quantities.micros(bad), bad);
        }
        assertEquals("10.5", Quantities.credits(10_500_000));
        assertEquals("1000", Quantities.credits(1_000_000_000));
        assertEquals("0", Quantities.credits(0));
        assertEquals("-0.25", Quantities.credits(-250_000));
        assertEquals("0.000001", Quantities.credits(1));
    }
}
