package org.isos.toolkit.erasure.internal;

import java.util.Optional;

/** Picks the coding engine: the SIMD one when the Vector API is in the boot layer and usable, else the portable one. */
public final class Engines {

    /** Set to {@code false} to force the portable engine even where the Vector API is available. */
    public static final String SIMD_PROPERTY = "org.isos.toolkit.erasure.simd";
    private static final String VECTOR_MODULE = "jdk.incubator.vector";
    private static final String VECTOR_ENGINE = "org.isos.toolkit.erasure.internal.VectorEngine";

    private Engines() {
    }

    public static CodingEngine portable() {
        return PortableEngine.INSTANCE;
    }

    /** The fastest engine available in this JVM. */
    public static CodingEngine best() {
        return Best.ENGINE;
    }

    /** The SIMD engine, if the Vector API module is present and the engine works here. */
    public static Optional<CodingEngine> simd() {
        return Optional.ofNullable(Simd.ENGINE);
    }

    private static final class Simd {
        static final CodingEngine ENGINE = loadSimd();
    }

    private static final class Best {
        static final CodingEngine ENGINE = !"false".equalsIgnoreCase(System.getProperty(SIMD_PROPERTY)) && Simd.ENGINE != null
                ? Simd.ENGINE
                : PortableEngine.INSTANCE;
    }

    private static CodingEngine loadSimd() {
        if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()) {
            return null;
        }
        try {
            // only public reflection by name: the codec runs inside app bundles, whose admission
            // refuses class-loader access and setAccessible
            Class<?> type = Class.forName(VECTOR_ENGINE);
            CodingEngine engine = (CodingEngine) type.getMethod("createIfUsable").invoke(null);
            return engine != null && selfTest(engine) ? engine : null;
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            // the module is present but not usable from here (e.g. its package is not wired to this bundle)
            return null;
        }
    }

    /** Compares the engine with the portable one on a small random-looking matrix, tails included. */
    private static boolean selfTest(CodingEngine engine) {
        int rows = 5;
        int cols = 3;
        int size = 1000;
        byte[][] matrix = new byte[rows][cols];
        byte[][] in = new byte[cols][size];
        int seed = 0x2545F491;
        for (byte[] row : matrix) {
            for (int c = 0; c < cols; c++) {
                seed = seed * 1103515245 + 12345;
                row[c] = (byte) (seed >>> 16);
            }
        }
        for (byte[] shard : in) {
            for (int p = 0; p < size; p++) {
                seed = seed * 1103515245 + 12345;
                shard[p] = (byte) (seed >>> 16);
            }
        }
        byte[][] expected = new byte[rows][size];
        byte[][] actual = new byte[rows][size];
        PortableEngine.INSTANCE.prepare(matrix).apply(in, 3, expected, 5, size - 7);
        engine.prepare(matrix).apply(in, 3, actual, 5, size - 7);
        return java.util.Arrays.deepEquals(expected, actual);
    }
}
