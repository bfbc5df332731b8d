package org.isos.toolkit.erasure.internal;

/** Computes matrix × shards over GF(2^8): the inner loop of encoding and decoding. */
public interface CodingEngine {

    /** A short name for reports and benchmarks, e.g. {@code "portable"} or {@code "vector-512"}. */
    String name();

    /**
     * Prepares a coefficient matrix (rows = outputs, columns = inputs) for repeated use. The returned kernel is
     * immutable and may be shared between threads.
     */
    Kernel prepare(byte[][] matrix);

    /** A prepared coefficient matrix. */
    interface Kernel {
        /**
         * outputs[i][outputOffset, outputOffset + count) = Σ_j matrix[i][j] · inputs[j][inputOffset, inputOffset + count).
         * The outputs are overwritten and must not be any of the inputs. Arguments are not checked: callers validate.
         */
        void apply(byte[][] inputs, int inputOffset, byte[][] outputs, int outputOffset, int count);
    }
}
