package org.isos.toolkit.erasure;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Runs twice: with the rest of the suite (Vector API module present), and alone in a JVM without
 * {@code --add-modules jdk.incubator.vector}, where {@link ReedSolomon#create} must fall back to the portable
 * implementation without touching the incubator classes.
 */
class PortableFallbackTest {

    @Test
    void createWorksWithOrWithoutTheVectorModule() {
        boolean module = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        ReedSolomon codec = ReedSolomon.create(5, 5);
        assertEquals(module ? "vector-" : "portable", codec.implementation().substring(0, module ? 7 : 8));
        byte[][] shards = {{0, 1}, {4, 5}, {2, 3}, {6, 7}, {8, 9}, new byte[2], new byte[2], new byte[2], new byte[2],
                new byte[2]};
        codec.encodeParity(shards, 0, 2);
        assertArrayEquals(new byte[][] {{12, 13}, {10, 11}, {14, 15}, {90, 91}, {94, 95}},
                java.util.Arrays.copyOfRange(shards, 5, 10));
        byte[][] damaged = shards.clone();
        boolean[] present = {false, false, false, false, false, true, true, true, true, true};
        for (int i = 0; i < 5; i++) {
            damaged[i] = null;
        }
        codec.decodeMissing(damaged, present, 0, 2);
        assertArrayEquals(shards, damaged);
    }
}
