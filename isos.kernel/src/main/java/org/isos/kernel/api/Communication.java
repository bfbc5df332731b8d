package org.isos.kernel.api;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Messages and byte streams between this app and the same app on other hosts, or its external
 * clients, over the kernel's transport. Traffic is capped by the lease's bandwidth and metered.
 */
@ProviderType
public interface Communication {

    /** The id of this host, as other hosts address it. */
    String hostId();

    /**
     * Sends one message (at most {@link #MAX_MESSAGE_BYTES}). Completes when the message has left
     * this host, or exceptionally with the reason it could not be sent.
     */
    CompletionStage<Void> send(Peer to, byte[] message);

    /**
     * Opens a byte stream to {@code to}; the receiver's {@link MessageListener#streamOpened} gets its
     * other end. Writes block while the lease's bandwidth is spent; close ends the stream.
     */
    OutputStream openStream(Peer to, String channel);

    /** Registers the app's receiver; one per app, a second call replaces the first. */
    void listen(MessageListener listener);

    int MAX_MESSAGE_BYTES = 1 << 20;

    /** Receives what peers send to this app. Calls come on kernel threads. */
    interface MessageListener {
        void received(Peer from, byte[] message);

        /** A peer opened a stream; read it on a task, not on the calling thread. */
        default void streamOpened(Peer from, String channel, InputStream in) {
            try (in) {
                in.transferTo(OutputStream.nullOutputStream());
            } catch (java.io.IOException ignored) {
                // an app that takes no streams discards them
            }
        }
    }
}
