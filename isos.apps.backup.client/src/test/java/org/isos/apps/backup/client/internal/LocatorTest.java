package org.isos.apps.backup.client.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.isos.apps.backup.client.FragmentHolder;
import org.isos.apps.backup.client.HolderRefusal;
import org.junit.jupiter.api.Test;

/** The beacons that find a manifest on content-addressed holders. */
class LocatorTest {

    /** A holder as the host side behaves: content-addressed, "no fragment" when absent. */
    static final class MapHolder implements FragmentHolder {
        final Map<String, byte[]> store = new HashMap<>();
        int gets;
        int batches;

        @Override
        public Map<String, byte[]> getAll(java.util.Collection<String> ids) throws IOException {
            batches++;
            return FragmentHolder.super.getAll(ids);
        }

        @Override
        public String hostId() {
            return "map";
        }

        @Override
        public String ownerId() {
            return "map";
        }

        @Override
        public void put(String id, byte[] fragment) throws IOException {
            assertEquals(Locator.idOf(fragment), id);
            store.put(id, fragment.clone());
        }

        @Override
        public byte[] get(String id) throws IOException {
            gets++;
            byte[] b = store.get(id);
            if (b == null) {
                throw new HolderRefusal("no fragment " + id + " on this host");
            }
            return b;
        }

        @Override
        public byte[] audit(String id, byte[] challenge) throws IOException {
            throw new HolderRefusal("not in this test");
        }

        @Override
        public void delete(String id) {
            store.remove(id);
        }
    }

    @Test
    void markersMakeTheSearchEndAtTheirGeneration() throws IOException {
        for (long g : new long[] { 0, 1, 2, 3, 7, 8, 9, 100, 1023, 1024, 123_456 }) {
            List<Long> markers = Locator.markersFor(g);
            assertTrue(markers.contains(g) && markers.stream().allMatch(m -> m <= g), g + ": " + markers);
            assertTrue(markers.size() <= 2 * (64 - Long.numberOfLeadingZeros(g)) + 2, g + ": " + markers);
            MapHolder h = new MapHolder();
            Locator locator = new Locator(new byte[32]);
            assertEquals(-1, locator.latest(h));
            locator.publish(h, g, ("head " + g).getBytes());
            h.gets = 0;
            assertEquals(g, locator.latest(h));
            assertTrue(h.gets <= 41 + 64 - Long.numberOfLeadingZeros(g), g + ": " + h.gets + " probes");
            assertArrayEquals(("head " + g).getBytes(), locator.head(h, g));
        }
    }

    @Test
    void aNewGenerationSupersedesTheOldAndRetiringLeavesOnlyWhatItsSearchNeeds() throws IOException {
        MapHolder h = new MapHolder();
        Locator locator = new Locator(Keys.sha256("k".getBytes()));
        byte[] old = new byte[500];
        new Random(1).nextBytes(old);
        byte[] now = new byte[700];
        new Random(2).nextBytes(now);
        locator.publish(h, 5, old);
        locator.publish(h, 6, now);
        assertEquals(6, locator.latest(h));
        locator.retire(h, 5, Locator.idOf(old), 6);
        assertEquals(6, locator.latest(h));
        assertArrayEquals(now, locator.head(h, 6));
        assertNull(locator.head(h, 5));
        int bits = 0;
        for (byte b : Keys.sha256(now)) {
            bits += Integer.bitCount(b & 0xFF);
        }
        assertEquals(1 + bits + Locator.markersFor(6).size(), h.store.size());
        // retired from a holder that no longer locates the manifest: nothing of it is left
        locator.retire(h, 6, Locator.idOf(now), -1);
        assertEquals(0, h.store.size());
        assertEquals(-1, locator.latest(h));
    }

    @Test
    void anotherKeyFindsNothing() throws IOException {
        MapHolder h = new MapHolder();
        new Locator(new byte[32]).publish(h, 3, "head".getBytes());
        byte[] other = new byte[32];
        other[0] = 1;
        assertEquals(-1, new Locator(other).latest(h));
        assertEquals(1, h.batches, "one batch of probes settles it");
        assertEquals(41, h.gets, "generation 0 and the powers of two up to 2^39");
    }
}
