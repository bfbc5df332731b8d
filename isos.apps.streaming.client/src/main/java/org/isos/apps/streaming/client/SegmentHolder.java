package org.isos.apps.streaming.client;

import java.io.IOException;

/**
 * One host that keeps fragments of titles: the streaming app under one lease, as the publisher and the viewer see
 * it. {@link SessionSegmentHolder} reaches a real host over the kernel's transport; tests use in-memory ones.
 */
public interface SegmentHolder extends AutoCloseable {

    /** The host's id, for reports. */
    String hostId();

    /**
     * Stores one fragment and returns once the host said {@code STORED}.
     *
     * @throws IOException saying why: the host refused it (its reason) or could not be reached
     */
    void store(String title, int segment, int index, String fragmentId, byte[] fragment) throws IOException;

    /**
     * Starts fetching a fragment. The bytes arrive on {@code receiver} as the host sends them (on some other
     * thread), then {@link Receiver#ended()} or {@link Receiver#failed(String)} once.
     *
     * @param fragmentId the id the host must hold there (it refuses otherwise)
     */
    Fetch fetch(String title, int segment, int index, String fragmentId, Receiver receiver);

    /** A fetch in progress. */
    interface Fetch {
        /** Asks the host to stop sending (long-tail cancellation); the receiver may still hear a short end. */
        void cancel();
    }

    /** Where a fetch's bytes go. Calls for one fetch never overlap. */
    interface Receiver {
        void bytes(byte[] chunk, int offset, int length);

        /** The stream ended: the whole fragment, or less if it was cancelled or the host cut it short. */
        void ended();

        /** The host refused the fetch ({@code FAILED}, its reason) or the connection broke. */
        void failed(String reason);
    }

    @Override
    void close();
}
