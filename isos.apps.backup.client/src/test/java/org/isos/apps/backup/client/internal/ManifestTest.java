package org.isos.apps.backup.client.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.isos.apps.backup.client.internal.Manifest.FileEntry;
import org.isos.apps.backup.client.internal.Manifest.FragmentEntry;
import org.isos.apps.backup.client.internal.Manifest.Head;
import org.isos.apps.backup.client.internal.Manifest.SegmentEntry;
import org.junit.jupiter.api.Test;

/** The manifest's and the head's binary formats: round trips and refusals. */
class ManifestTest {

    static SegmentEntry segment(int n, int seed) {
        List<FragmentEntry> fragments = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] id = Keys.sha256(new byte[] { (byte) seed, (byte) i });
            fragments.add(new FragmentEntry(i, java.util.HexFormat.of().formatHex(id), i % 2 == 0 ? "h" + i : "",
                    new byte[] { 1, 2, (byte) i }));
        }
        return new SegmentEntry(1000, 1016, 254, fragments);
    }

    @Test
    void roundTrips() {
        FileEntry f = new FileEntry("00112233aabbccdd", "photo.jpg", 1000, Keys.sha256(new byte[3]), 1234L, 4, 6,
                4096, new byte[32], List.of(segment(6, 1), segment(6, 2)));
        Manifest m = new Manifest("home", 7, new ArrayList<>(List.of(f)));
        Manifest back = Manifest.decode(m.encode());
        assertEquals("home", back.backupName);
        assertEquals(7, back.generation);
        FileEntry g = back.files.get(0);
        assertEquals(f.id, g.id);
        assertEquals(f.name, g.name);
        assertArrayEquals(f.sha256, g.sha256);
        assertEquals(2, g.segments.size());
        assertEquals("h2", g.segments.get(1).fragments.get(2).holder);
        assertEquals("", g.segments.get(1).fragments.get(1).holder);
        assertEquals(f.segments.get(0).fragments.get(5).id, g.segments.get(0).fragments.get(5).id);
        assertArrayEquals(new byte[] { 1, 2, 5 }, g.segments.get(0).fragments.get(5).commitment);
        assertArrayEquals(m.encode(), back.encode());

        Head h = new Head(3, new byte[32], 99, new byte[32], 1, 4, 2048, List.of(segment(4, 3)));
        Head hb = Head.decode(h.encode());
        assertEquals(3, hb.generation());
        assertEquals(4, hb.segments().get(0).fragments.size());
        assertArrayEquals(h.encode(), hb.encode());
    }

    @Test
    void refusesWhatIsNotAManifest() {
        byte[] good = new Manifest("x", 0, new ArrayList<>(List.of(new FileEntry("id", "n", 1, new byte[32], 0, 2,
                3, 100, new byte[32], List.of(segment(3, 9)))))).encode();
        IllegalArgumentException magic = assertThrows(IllegalArgumentException.class,
                () -> Manifest.decode(new byte[] { 1, 2, 3, 4, 5 }));
        assertTrue(magic.getMessage().startsWith("not a version 1 backup manifest"), magic.getMessage());
        assertEquals("manifest truncated", assertThrows(IllegalArgumentException.class,
                () -> Manifest.decode(Arrays.copyOf(good, good.length - 1))).getMessage());
        byte[] longer = Arrays.copyOf(good, good.length + 2);
        assertEquals("2 bytes after the manifest", assertThrows(IllegalArgumentException.class,
                () -> Manifest.decode(longer)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> Head.decode(good));
    }
}
