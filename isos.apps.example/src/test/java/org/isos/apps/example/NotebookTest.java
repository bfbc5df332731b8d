package org.isos.apps.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.isos.kernel.api.Allocation;
import org.isos.kernel.api.BlobStore;
import org.isos.kernel.api.Communication;
import org.isos.kernel.api.Lease;
import org.isos.kernel.api.Peer;
import org.isos.kernel.api.QuotaExceededException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.junit5.context.BundleContextExtension;

/**
 * The example app in a real Felix framework with SCR: this test bundle registers in-memory stand-ins for the
 * kernel's {@link Allocation} (a store with a 64-byte quota) and {@link Communication} (it records what the app
 * sends), SCR activates the app's component against them, and the test talks to it as a client would.
 */
@ExtendWith(BundleContextExtension.class)
class NotebookTest {

    @InjectBundleContext
    BundleContext context;

    final MemoryStore store = new MemoryStore(64);
    final Wire wire = new Wire();
    final List<ServiceRegistration<?>> registrations = new ArrayList<>();

    @BeforeEach
    void standInForTheKernel() throws Exception {
        Lease lease = new Lease("lease-1", "buyer-1", "isos.apps.example", Instant.now().plusSeconds(600), 0.25, 1 << 20,
                64, 1 << 16);
        registrations.add(context.registerService(Allocation.class, new Allocation() {
            @Override
            public Lease lease() {
                return lease;
            }

            @Override
            public BlobStore store() {
                return store;
            }
        }, null));
        registrations.add(context.registerService(Communication.class, wire, null));
        assertNotNull(wire.listener.poll(20, TimeUnit.SECONDS), "the app's component started and listens");
    }

    @AfterEach
    void stop() {
        registrations.forEach(ServiceRegistration::unregister);
    }

    @Test
    void clientsWriteAndReadNotesKeptInTheLeasesStore() throws Exception {
        assertEquals("OK", ask("PUT greeting hello, world"));
        assertEquals("VALUE hello, world", ask("GET greeting"));
        assertEquals("MISSING", ask("GET other"));
        assertEquals("OK", ask("PUT grocery milk"));
        assertEquals("KEYS greeting grocery", ask("LIST gr"));
        assertEquals("VALUE hello, world".substring(6), new String(store.get("note/greeting").orElseThrow(),
                StandardCharsets.UTF_8), "kept in the lease's store");
        assertEquals("HOST host-1 " + store.usedBytes() + "/64", ask("HOST"));
        assertEquals("OK", ask("DEL grocery"));
        assertEquals("MISSING", ask("DEL grocery"));
    }

    @Test
    void badRequestsAndAFullStoreAreAnsweredWithWhy() throws Exception {
        assertTrue(ask("PUT big " + "x".repeat(100)).startsWith("ERROR the lease's store is full"));
        assertEquals("ERROR usage: PUT key text", ask("PUT lonely"));
        assertTrue(ask("GET ../etc").startsWith("ERROR a key is 1-100 of"));
        assertTrue(ask("SING").startsWith("ERROR unknown command 'SING'"));
    }

    @Test
    void notesOutliveARestartOfTheApp() throws Exception {
        assertEquals("OK", ask("PUT kept yes"));
        Bundle app = app();
        app.stop();
        app.start(); // what a hot-swap does: the component comes back on the same store
        assertNotNull(wire.listener.poll(20, TimeUnit.SECONDS), "listening again");
        assertEquals("VALUE yes", ask("GET kept"));
    }

    @Test
    void theBundleImportsOnlyTheKernelsApi() {
        String imports = app().getHeaders().get("Import-Package");
        assertTrue(imports.startsWith("org.isos.kernel.api;"), imports);
        assertEquals(1, imports.split(",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)").length, imports);
        assertEquals(null, app().getHeaders().get("Export-Package"), "an app exports nothing");
    }

    private Bundle app() {
        for (Bundle b : context.getBundles()) {
            if ("isos.apps.example".equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no isos.apps.example bundle");
    }

    /** Sends a client's line to the app and waits for its answer. */
    private String ask(String line) throws InterruptedException {
        wire.current.received(Peer.client("client-1"), line.getBytes(StandardCharsets.UTF_8));
        byte[] answer = wire.sent.poll(10, TimeUnit.SECONDS);
        assertNotNull(answer, "an answer to " + line);
        return new String(answer, StandardCharsets.UTF_8);
    }

    /** The kernel's transport, reduced to a queue of what the app sends. */
    static final class Wire implements Communication {
        final BlockingQueue<MessageListener> listener = new LinkedBlockingQueue<>();
        final BlockingQueue<byte[]> sent = new LinkedBlockingQueue<>();
        volatile MessageListener current;

        @Override
        public String hostId() {
            return "host-1";
        }

        @Override
        public CompletionStage<Void> send(Peer to, byte[] message) {
            sent.add(message);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public OutputStream openStream(Peer to, String channel) {
            throw new UnsupportedOperationException("the example app opens no streams");
        }

        @Override
        public void listen(MessageListener l) {
            current = l;
            listener.add(l);
        }
    }

    /** A blob store in memory with the kernel's quota rule: a put that would exceed it writes nothing. */
    static final class MemoryStore implements BlobStore {
        private final Map<String, byte[]> blobs = new ConcurrentSkipListMap<>();
        private final long quota;

        MemoryStore(long quota) {
            this.quota = quota;
        }

        @Override
        public synchronized void put(String key, byte[] data) throws QuotaExceededException {
            byte[] old = blobs.get(key);
            long wanted = usedBytes() - (old == null ? 0 : old.length) + data.length;
            if (wanted > quota) {
                throw new QuotaExceededException("the store would hold " + wanted + " bytes", quota, wanted);
            }
            blobs.put(key, data.clone());
        }

        @Override
        public Optional<byte[]> get(String key) {
            return Optional.ofNullable(blobs.get(key)).map(byte[]::clone);
        }

        @Override
        public boolean delete(String key) {
            return blobs.remove(key) != null;
        }

        @Override
        public List<String> list(String prefix) {
            return blobs.keySet().stream().filter(k -> k.startsWith(prefix)).toList();
        }

        @Override
        public synchronized long usedBytes() {
            return blobs.values().stream().mapToLong(b -> b.length).sum();
        }

        @Override
        public long quotaBytes() {
            return quota;
        }
    }
}
