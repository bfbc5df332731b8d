package org.isos.apps.streaming.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.isos.apps.streaming.client.internal.SegmentCoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PublisherTest {

    @TempDir
    Path dir;

    final List<MemoryHolder> holders = new ArrayList<>();
    final List<TitleManifest.Holder> slots = new ArrayList<>();

    void holders(int n) {
        for (int i = 0; i < n; i++) {
            holders.add(new MemoryHolder("h" + i, 1_000_000));
            slots.add(new TitleManifest.Holder("h" + i, "o", "l" + i, "127.0.0.1:1", 32_000));
        }
    }

    Path movie(int bytes) throws Exception {
        byte[] movie = new byte[bytes];
        new Random(1).nextBytes(movie);
        return Files.write(dir.resolve("m.ts"), movie);
    }

    @Test
    void fragmentIOfSegmentSGoesToHolderIPlusSModN() throws Exception {
        holders(5);
        Path movie = movie(10 * 1000 + 7);
        List<String> progress = new ArrayList<>();
        TitleManifest m = Publisher.publish(movie, "t", "acme", slots, holders,
                Publisher.Options.forHolders(5).withSegmentBytes(1000).withDataFragments(3),
                (done, all, bytes, size) -> progress.add(done + "/" + all));
        assertEquals(11, m.segments().size());
        assertEquals(7, m.segments().get(10).bytes());
        assertEquals(3, m.segments().get(10).fragmentBytes());
        assertEquals(11, progress.size());
        assertTrue(progress.contains("11/11"));
        for (TitleManifest.Segment s : m.segments()) {
            for (TitleManifest.Fragment f : s.fragments()) {
                assertEquals((f.index() + s.number()) % 5, f.holder());
                byte[] stored = holders.get(f.holder()).fragments.get("t/" + s.number() + "/" + f.index());
                assertEquals(f.id(), SegmentCoder.sha256(stored, 0, stored.length));
            }
        }
        assertEquals(m, TitleManifest.fromJson(m.toJson()));
        assertEquals(MemoryHolder.sha256(Files.readAllBytes(movie)), m.sha256());
    }

    @Test
    void refusalsSayWhy() throws Exception {
        holders(3);
        Path movie = movie(5000);
        StreamException k = assertThrows(StreamException.class, () -> Publisher.publish(movie, "t", "acme", slots,
                holders, Publisher.Options.forHolders(3).withDataFragments(3), null));
        assertEquals("a 3-of-n code needs more than 3 holders, have 3 (lease more hosts or lower k)", k.getMessage());
        assertThrows(StreamException.class, () -> Publisher.publish(dir.resolve("none.ts"), "t", "acme", slots,
                holders, Publisher.Options.forHolders(3), null));
        assertThrows(IllegalArgumentException.class, () -> Publisher.publish(movie, "../t", "acme", slots, holders,
                Publisher.Options.forHolders(3), null));
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                () -> Publisher.Options.forHolders(3).withSegmentBytes(4 << 20));
        assertTrue(big.getMessage().contains("use smaller segments or a larger k"), big.getMessage());
        holders.get(1).dead = true;
        StreamException down = assertThrows(StreamException.class, () -> Publisher.publish(movie, "t", "acme", slots,
                holders, Publisher.Options.forHolders(3).withSegmentBytes(1000), null));
        assertTrue(down.getMessage().contains("host h1 unreachable"), down.getMessage());
    }

    @Test
    void aManifestThatDoesNotHoldTogetherIsRefused() throws Exception {
        holders(3);
        TitleManifest m = Publisher.publish(movie(3000), "t", "acme", slots, holders,
                Publisher.Options.forHolders(3).withSegmentBytes(1000), null);
        String json = m.toJson();
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                () -> TitleManifest.fromJson(json.replace("\"sizeBytes\" : 3000", "\"sizeBytes\" : 3001")));
        assertTrue(size.getMessage().contains("the segments add up to 3000 bytes, the title has 3001"),
                size.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TitleManifest.fromJson("{\"format\": 2, \"manifest\": {}}"));
        assertThrows(IllegalArgumentException.class, () -> TitleManifest.fromJson("not json"));
        Path file = dir.resolve("titles/t.json");
        m.write(file);
        assertEquals(m, TitleManifest.read(file));
    }
}
