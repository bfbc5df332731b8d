package org.isos.apps.streaming.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.isos.apps.streaming.protocol.SegmentMessage;
import org.isos.apps.streaming.protocol.SegmentMessage.Op;
import org.isos.kernel.api.Allocation;
import org.isos.kernel.api.AppTask;
import org.isos.kernel.api.BlobStore;
import org.isos.kernel.api.Communication;
import org.isos.kernel.api.Lease;
import org.isos.kernel.api.Peer;
import org.isos.kernel.api.QuotaExceededException;
import org.isos.kernel.api.Scheduling;
import org.isos.kernel.api.SchedulingListener;
import org.isos.kernel.api.TaskCancelledException;
import org.isos.kernel.api.TaskContext;
import org.isos.kernel.api.TaskHandle;
import org.isos.kernel.api.TaskState;
import org.junit.jupiter.api.Test;

/** The host side against in-memory fakes of the kernel's store, communication and scheduling services. */
class SegmentServerTest {

    static final Peer CLIENT = Peer.client("viewer-1");
    static final Peer OTHER = Peer.client("viewer-2");
    static final String TITLE = "movie.mp4";
    static final int CHUNK = SegmentServer.CHUNK_BYTES;

    final MemoryStore store = new MemoryStore(200_000);
    final Wire wire = new Wire();
    final Kernel kernel = new Kernel();
    final ViewTicketCheck tickets = new ViewTicketCheck(TestTickets.CA.getPublic(), java.time.Clock.systemUTC());
    final SegmentServer server = new SegmentServer(store, wire, kernel, tickets);

    /** {@code fetch} with a valid view ticket for its title, as viewers send them (ViewTicketTest: without). */
    static SegmentMessage ticketed(SegmentMessage fetch) {
        return SegmentMessage.fetch(fetch.title(), fetch.segment(), fetch.index(), fetch.fragmentId(),
                TestTickets.ticket(TestTickets.CA.getPrivate(), fetch.title(), Instant.now().plusSeconds(3600)));
    }

    @Test
    void listensOnCommunicationAndUsesTheLeasesStore() {
        assertSame(server, wire.listener);
        Allocation allocation = new Allocation() {
            @Override
            public Lease lease() {
                return new Lease("lease-1", "buyer-a", "isos.apps.streaming", Instant.now().plusSeconds(60), 0.5,
                        1 << 20, store.quota, 32_000);
            }

            @Override
            public BlobStore store() {
                return store;
            }
        };
        Wire other = new Wire();
        SegmentServer activated = new SegmentServer(allocation, other, kernel);
        assertSame(activated, other.listener);
        byte[] fragment = bytes(100, 9);
        activated.received(CLIENT, SegmentMessage.store(TITLE, 0, 0, hex(fragment), fragment).encode());
        assertEquals(Op.STORED, SegmentMessage.decode(other.sent.remove(0).bytes).op());
        assertTrue(store.blobs.containsKey("seg/" + TITLE + "/0/0"));
    }

    @Test
    void storeThenFetchIsByteIdentical() {
        byte[] fragment = bytes(40_000, 1);
        String id = hex(fragment);
        SegmentMessage stored = ask(SegmentMessage.store(TITLE, 3, 7, id, fragment));
        assertEquals(SegmentMessage.stored(TITLE, 3, 7, id), stored);

        // the blob: the fragment's SHA-256, then its bytes, under seg/<title>/<segment>/<index>
        byte[] blob = store.blobs.get("seg/" + TITLE + "/3/7");
        assertEquals(List.of("seg/" + TITLE + "/3/7"), store.list("seg/"));
        assertArrayEquals(SegmentServer.sha256(fragment), Arrays.copyOf(blob, 32));
        assertArrayEquals(fragment, Arrays.copyOfRange(blob, 32, blob.length));

        Stream stream = fetch(ticketed(SegmentMessage.fetch(TITLE, 3, 7)));
        assertEquals(CLIENT, stream.to);
        assertEquals("frag/" + TITLE + "/3/7", stream.channel);
        assertArrayEquals(fragment, stream.bytes.toByteArray());
        assertEquals(List.of(CHUNK, CHUNK, 40_000 - 2 * CHUNK), stream.chunks); // flushed 16 KiB chunks
        assertTrue(stream.closed);
        assertEquals(List.of("fetch-" + TITLE + "-3-7"), kernel.submitted);
        assertEquals(3, kernel.yields); // the kernel's pause point between chunks

        // again, naming the id expected; and a fragment of whole chunks
        assertArrayEquals(fragment, fetch(ticketed(SegmentMessage.fetch(TITLE, 3, 7, id))).bytes.toByteArray());
        byte[] whole = bytes(2 * CHUNK, 2);
        ask(SegmentMessage.store(TITLE, 3, 8, hex(whole), whole));
        Stream two = fetch(ticketed(SegmentMessage.fetch(TITLE, 3, 8)));
        assertArrayEquals(whole, two.bytes.toByteArray());
        assertEquals(List.of(CHUNK, CHUNK), two.chunks);

        // a STORE over the same place replaces the fragment
        byte[] newer = bytes(500, 3);
        assertEquals(Op.STORED, ask(SegmentMessage.store(TITLE, 3, 7, hex(newer), newer)).op());
        assertArrayEquals(newer, fetch(ticketed(SegmentMessage.fetch(TITLE, 3, 7))).bytes.toByteArray());
        assertEquals(0, kernel.failures.size(), kernel.failures.toString());
    }

    @Test
    void storeWithAWrongHashIsRefused() {
        byte[] fragment = bytes(1000, 2);
        String id = hex(fragment);
        String wrongId = hex(bytes(1000, 3));
        SegmentMessage wrong = ask(SegmentMessage.store(TITLE, 0, 1, wrongId, fragment));
        assertEquals(Op.FAILED, wrong.op());
        assertEquals("fragment id " + wrongId + " does not match the SHA-256 of its 1000 bytes (" + id
                + "); not stored", wrong.reason());
        assertTrue(store.blobs.isEmpty());
        assertEquals("no fragment " + TITLE + "/0/1 on this host", ask(ticketed(SegmentMessage.fetch(TITLE, 0, 1))).reason());

        // a wrong STORE does not clobber a good copy already there
        ask(SegmentMessage.store(TITLE, 0, 1, id, fragment));
        byte[] other = bytes(1000, 4);
        assertEquals(Op.FAILED, ask(SegmentMessage.store(TITLE, 0, 1, id, other)).op());
        assertArrayEquals(fragment, fetch(ticketed(SegmentMessage.fetch(TITLE, 0, 1))).bytes.toByteArray());
    }

    @Test
    void aCorruptedStoredBlobIsRefusedOnFetch() {
        byte[] fragment = bytes(20_000, 5);
        String id = hex(fragment);
        ask(SegmentMessage.store(TITLE, 1, 0, id, fragment));
        String key = "seg/" + TITLE + "/1/0";

        store.blobs.get(key)[32 + 12_345] ^= 1; // rot on the host's disk
        SegmentMessage rotten = ask(ticketed(SegmentMessage.fetch(TITLE, 1, 0)));
        assertEquals(Op.FAILED, rotten.op());
        assertEquals("fragment " + TITLE + "/1/0 is corrupt on this host (its 20000 bytes no longer hash to its id)",
                rotten.reason());
        assertEquals(Op.FAILED, ask(ticketed(SegmentMessage.fetch(TITLE, 1, 0, id))).op());

        store.blobs.get(key)[32 + 12_345] ^= 1;
        store.blobs.get(key)[3] ^= 1; // the stored digest itself
        assertTrue(ask(ticketed(SegmentMessage.fetch(TITLE, 1, 0))).reason().contains("no longer hash to its id"));

        store.blobs.put(key, new byte[5]);
        assertEquals("fragment " + TITLE + "/1/0 is corrupt on this host (a blob of 5 bytes)",
                ask(ticketed(SegmentMessage.fetch(TITLE, 1, 0))).reason());

        assertTrue(wire.streams.isEmpty(), "nothing streamed: " + wire.streams);
        assertTrue(kernel.submitted.isEmpty());
    }

    @Test
    void fetchRefusals() {
        byte[] fragment = bytes(100, 6);
        String id = hex(fragment);
        ask(SegmentMessage.store(TITLE, 2, 4, id, fragment));
        assertEquals("no fragment " + TITLE + "/2/5 on this host", ask(ticketed(SegmentMessage.fetch(TITLE, 2, 5))).reason());
        assertEquals("no fragment other/2/4 on this host", ask(ticketed(SegmentMessage.fetch("other", 2, 4))).reason());
        String expected = hex(bytes(100, 7));
        SegmentMessage notIt = ask(ticketed(SegmentMessage.fetch(TITLE, 2, 4, expected)));
        assertEquals(Op.FAILED, notIt.op());
        assertEquals("fragment " + TITLE + "/2/4 on this host is " + id + ", not " + expected, notIt.reason());
        assertTrue(wire.streams.isEmpty());
    }

    @Test
    void cancelStopsTheStreamBetweenChunks() throws Exception {
        byte[] fragment = bytes(10 * CHUNK, 8);
        ask(SegmentMessage.store(TITLE, 0, 3, hex(fragment), fragment));
        kernel.inline = false; // the fetch runs on a task thread of its own, as on the kernel

        CountDownLatch firstChunkSent = new CountDownLatch(1);
        CountDownLatch bucketRefilled = new CountDownLatch(1);
        wire.onFlush = s -> {
            if (s.chunks.size() == 1) { // the token bucket holds the task here, after its first chunk
                firstChunkSent.countDown();
                await(bucketRefilled);
            }
        };
        server.received(CLIENT, ticketed(SegmentMessage.fetch(TITLE, 0, 3)).encode());
        assertTrue(wire.sent.isEmpty(), "a fetch is answered by a stream, not a message");
        Thread task = kernel.runNextOnThread();
        assertTrue(firstChunkSent.await(5, TimeUnit.SECONDS));

        server.received(CLIENT, SegmentMessage.cancel(TITLE, 0, 3).encode());
        assertTrue(wire.sent.isEmpty(), "a cancel is answered by nothing");
        bucketRefilled.countDown();
        task.join(5_000);
        assertFalse(task.isAlive());

        Stream stream = wire.streams.get(0);
        assertEquals(List.of(CHUNK), stream.chunks);
        assertArrayEquals(Arrays.copyOf(fragment, CHUNK), stream.bytes.toByteArray()); // a true prefix
        assertTrue(stream.closed);
        assertTrue(wire.sent.isEmpty());
        assertEquals(0, kernel.failures.size(), kernel.failures.toString());

        // a cancel of a fetch already done (or never made) is a no-op; a later fetch streams it all
        server.received(CLIENT, SegmentMessage.cancel(TITLE, 0, 3).encode());
        server.received(CLIENT, SegmentMessage.cancel(TITLE, 9, 9).encode());
        assertTrue(wire.sent.isEmpty());
        wire.onFlush = s -> { };
        kernel.inline = true;
        assertArrayEquals(fragment, fetch(ticketed(SegmentMessage.fetch(TITLE, 0, 3))).bytes.toByteArray());
    }

    @Test
    void onlyTheSameRequesterForTheSameChannelCancels() {
        byte[] fragment = bytes(4 * CHUNK, 9);
        ask(SegmentMessage.store(TITLE, 0, 0, hex(fragment), fragment));
        // inline: the cancels arrive while the task is between its first and second chunk
        wire.onFlush = s -> {
            if (s.chunks.size() == 1) {
                server.received(OTHER, SegmentMessage.cancel(TITLE, 0, 0).encode());
                server.received(Peer.host(CLIENT.id()), SegmentMessage.cancel(TITLE, 0, 0).encode());
                server.received(CLIENT, SegmentMessage.cancel(TITLE, 0, 1).encode());
                server.received(CLIENT, SegmentMessage.cancel("other", 0, 0).encode());
            }
        };
        assertArrayEquals(fragment, fetch(ticketed(SegmentMessage.fetch(TITLE, 0, 0))).bytes.toByteArray());

        wire.onFlush = s -> {
            if (s.chunks.size() == 2) {
                server.received(CLIENT, SegmentMessage.cancel(TITLE, 0, 0).encode());
            }
        };
        Stream cut = fetch(ticketed(SegmentMessage.fetch(TITLE, 0, 0)));
        assertEquals(List.of(CHUNK, CHUNK), cut.chunks);
        assertArrayEquals(Arrays.copyOf(fragment, 2 * CHUNK), cut.bytes.toByteArray());
        assertTrue(cut.closed);
    }

    @Test
    void aRepeatedFetchSupersedesTheOneStillStreaming() {
        byte[] fragment = bytes(3 * CHUNK, 10);
        ask(SegmentMessage.store(TITLE, 5, 5, hex(fragment), fragment));
        kernel.inline = false;
        server.received(CLIENT, ticketed(SegmentMessage.fetch(TITLE, 5, 5)).encode());
        server.received(CLIENT, ticketed(SegmentMessage.fetch(TITLE, 5, 5)).encode());
        server.received(OTHER, ticketed(SegmentMessage.fetch(TITLE, 5, 5)).encode()); // another viewer's own fetch
        kernel.runAll();
        assertEquals(3, wire.streams.size());
        assertEquals(0, wire.streams.get(0).bytes.size()); // cancelled before its first chunk
        assertTrue(wire.streams.get(0).closed);
        assertArrayEquals(fragment, wire.streams.get(1).bytes.toByteArray());
        assertEquals(OTHER, wire.streams.get(2).to);
        assertArrayEquals(fragment, wire.streams.get(2).bytes.toByteArray());
        assertTrue(wire.sent.isEmpty());
    }

    @Test
    void theKernelsPausePointOrAGoneViewerEndsTheStreamQuietly() {
        byte[] fragment = bytes(5 * CHUNK, 11);
        ask(SegmentMessage.store(TITLE, 0, 0, hex(fragment), fragment));
        kernel.stopAtYield = 2; // the lease ends: the kernel stops the task at its second pause point
        Stream stopped = fetch(ticketed(SegmentMessage.fetch(TITLE, 0, 0)));
        assertArrayEquals(Arrays.copyOf(fragment, 2 * CHUNK), stopped.bytes.toByteArray());
        assertTrue(stopped.closed);

        kernel.stopAtYield = 0;
        wire.failWritesAfter = CHUNK; // the viewer hung up
        Stream gone = fetch(ticketed(SegmentMessage.fetch(TITLE, 0, 0)));
        assertEquals(CHUNK, gone.bytes.size());
        assertTrue(gone.closed);
        assertTrue(wire.sent.isEmpty());
        assertEquals(0, kernel.failures.size(), kernel.failures.toString());
    }

    @Test
    void quotaOverflowFailsNamingTheQuota() {
        MemoryStore small = new MemoryStore(100_000);
        Wire wire = new Wire();
        SegmentServer server = new SegmentServer(small, wire, kernel, tickets);
        byte[] first = bytes(60_000, 12);
        server.received(CLIENT, SegmentMessage.store(TITLE, 0, 0, hex(first), first).encode());
        assertEquals(Op.STORED, SegmentMessage.decode(wire.sent.remove(0).bytes).op());
        assertEquals(60_032, small.usedBytes());

        byte[] second = bytes(50_000, 13);
        server.received(CLIENT, SegmentMessage.store(TITLE, 0, 1, hex(second), second).encode());
        SegmentMessage over = SegmentMessage.decode(wire.sent.remove(0).bytes);
        assertEquals(Op.FAILED, over.op());
        assertEquals(TITLE, over.title());
        assertEquals(1, over.index());
        assertEquals("storing 50032 bytes under 'seg/" + TITLE + "/0/1' would hold 110064 bytes, over the lease's "
                + "quota of 100000", over.reason());
        assertTrue(over.reason().contains("quota of 100000"), over.reason());
        assertEquals(List.of("seg/" + TITLE + "/0/0"), small.list(""));
        assertEquals(60_032, small.usedBytes());

        // replacing a fragment counts only the difference; exactly at the quota is fine
        byte[] fits = bytes(100_000 - 32, 14);
        server.received(CLIENT, SegmentMessage.store(TITLE, 0, 0, hex(fits), fits).encode());
        assertEquals(Op.STORED, SegmentMessage.decode(wire.sent.remove(0).bytes).op());
        assertEquals(100_000, small.usedBytes());
    }

    @Test
    void kernelFailuresBecomeFailedAnswers() {
        byte[] fragment = bytes(100, 15);
        store.failing = true;
        SegmentMessage io = ask(SegmentMessage.store(TITLE, 0, 0, hex(fragment), fragment));
        assertEquals("STORE failed on this host: java.io.UncheckedIOException: java.io.IOException: disk gone",
                io.reason());
        assertTrue(ask(ticketed(SegmentMessage.fetch(TITLE, 0, 0))).reason().startsWith("FETCH failed on this host: "));
        store.failing = false;

        ask(SegmentMessage.store(TITLE, 0, 0, hex(fragment), fragment));
        kernel.refusal = "too many tasks for this lease";
        assertEquals("cannot start serving " + TITLE + "/0/0: too many tasks for this lease",
                ask(ticketed(SegmentMessage.fetch(TITLE, 0, 0))).reason());
        kernel.refusal = null;

        wire.openFailure = "no route to viewer-1";
        SegmentMessage noStream = ask(ticketed(SegmentMessage.fetch(TITLE, 0, 0)));
        assertEquals("cannot open the stream frag/" + TITLE + "/0/0: no route to viewer-1", noStream.reason());
        wire.openFailure = null;
        assertArrayEquals(fragment, fetch(ticketed(SegmentMessage.fetch(TITLE, 0, 0))).bytes.toByteArray());
    }

    @Test
    void unreadableAndMisdirectedRequestsAreAnsweredWithFailed() {
        server.received(CLIENT, new byte[] { 1 });
        SegmentMessage unreadable = SegmentMessage.decode(wire.sent.remove(0).bytes);
        assertEquals(Op.FAILED, unreadable.op());
        assertEquals("", unreadable.title());
        assertTrue(unreadable.reason().startsWith("unreadable request: truncated"), unreadable.reason());

        byte[] badTitle = SegmentMessage.fetch("x", 0, 0).encode();
        badTitle[4] = '/';
        server.received(CLIENT, badTitle);
        assertTrue(SegmentMessage.decode(wire.sent.remove(0).bytes).reason().startsWith("unreadable request: title '/'"));

        String id = hex(bytes(10, 1));
        assertEquals("a host takes STORE, FETCH and CANCEL, not STORED",
                ask(SegmentMessage.stored(TITLE, 0, 0, id)).reason());
        assertEquals("a host takes STORE, FETCH and CANCEL, not FAILED",
                ask(SegmentMessage.failed(TITLE, 0, 0, "x")).reason());
        assertTrue(wire.sent.isEmpty());
    }

    @Test
    void taskNamesStayWithinTheKernelsRules() {
        String longest = "T".repeat(SegmentMessage.MAX_TITLE_CHARS);
        String name = SegmentServer.taskName(SegmentMessage.fetch(longest, Integer.MAX_VALUE, SegmentMessage.MAX_INDEX));
        assertTrue(name.length() <= 100, name);
        assertTrue(name.matches("fetch-T+-2147483647-65535"), name);
        assertEquals("fetch-a.b-0-1", SegmentServer.taskName(SegmentMessage.fetch("a.b", 0, 1)));

        byte[] fragment = bytes(10, 16);
        ask(SegmentMessage.store(longest, Integer.MAX_VALUE, SegmentMessage.MAX_INDEX, hex(fragment), fragment));
        Stream stream = fetch(ticketed(SegmentMessage.fetch(longest, Integer.MAX_VALUE, SegmentMessage.MAX_INDEX)));
        assertArrayEquals(fragment, stream.bytes.toByteArray());
        assertEquals(List.of(name), kernel.submitted);
    }

    // ---------------------------------------------------------------------------------------------------------

    /** Sends a request that is answered by one message to the requester, and returns that message. */
    private SegmentMessage ask(SegmentMessage request) {
        int streams = wire.streams.size();
        server.received(CLIENT, request.encode());
        assertEquals(1, wire.sent.size(), "answers: " + wire.sent);
        Sent sent = wire.sent.remove(0);
        assertEquals(CLIENT, sent.to);
        SegmentMessage reply = SegmentMessage.decode(sent.bytes);
        assertEquals(request.title(), reply.title());
        assertEquals(request.segment(), reply.segment());
        assertEquals(request.index(), reply.index());
        assertEquals(streams, wire.streams.size(), "a refused request opens no stream");
        return reply;
    }

    /** Sends a fetch that is answered with a stream (the task run inline), and returns that stream. */
    private Stream fetch(SegmentMessage request) {
        int streams = wire.streams.size();
        server.received(CLIENT, request.encode());
        assertTrue(wire.sent.isEmpty(), "answered with a message: " + wire.sent);
        assertEquals(streams + 1, wire.streams.size());
        return wire.streams.get(streams);
    }

    private static String hex(byte[] fragment) {
        return HexFormat.of().formatHex(SegmentServer.sha256(fragment));
    }

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new java.util.Random(seed).nextBytes(b);
        return b;
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(5, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never released the task");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    record Sent(Peer to, byte[] bytes) {
        @Override
        public String toString() {
            return to.id() + ": " + SegmentMessage.decode(bytes);
        }
    }

    /** One kernel stream as the app wrote it: its bytes and the sizes of its flushed frames. */
    static final class Stream extends OutputStream {
        final Wire wire;
        final Peer to;
        final String channel;
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final List<Integer> chunks = Collections.synchronizedList(new ArrayList<>());
        int pending;
        volatile boolean closed;

        Stream(Wire wire, Peer to, String channel) {
            this.wire = wire;
            this.to = to;
            this.channel = channel;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] { (byte) b }, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (closed) {
                throw new IOException("stream closed");
            }
            if (wire.failWritesAfter > 0 && bytes.size() + len > wire.failWritesAfter) {
                throw new IOException("connection reset by viewer");
            }
            bytes.write(b, off, len);
            pending += len;
        }

        @Override
        public void flush() {
            chunks.add(pending);
            pending = 0;
            wire.onFlush.accept(this);
        }

        @Override
        public void close() {
            closed = true;
        }

        @Override
        public String toString() {
            return channel + " to " + to.id() + " (" + bytes.size() + " bytes)";
        }
    }

    /** The kernel's communication service: captures the messages sent and the streams opened. */
    static final class Wire implements Communication {
        final List<Sent> sent = Collections.synchronizedList(new ArrayList<>());
        final List<Stream> streams = Collections.synchronizedList(new ArrayList<>());
        volatile Consumer<Stream> onFlush = s -> { };
        volatile String openFailure;
        volatile int failWritesAfter;
        Communication.MessageListener listener;

        @Override
        public String hostId() {
            return "host-1";
        }

        @Override
        public CompletionStage<Void> send(Peer to, byte[] message) {
            assertTrue(message.length <= MAX_MESSAGE_BYTES);
            sent.add(new Sent(to, message));
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public OutputStream openStream(Peer to, String channel) {
            if (openFailure != null) {
                throw new IllegalStateException(openFailure);
            }
            Stream s = new Stream(this, to, channel);
            streams.add(s);
            return s;
        }

        @Override
        public void listen(MessageListener l) {
            listener = l;
        }
    }

    /**
     * The kernel's scheduling service: runs a task at once on the caller's thread ({@link #inline}) or queues it for
     * the test to run, on the test's thread or a thread of its own. Checks task names as the kernel does.
     */
    static final class Kernel implements Scheduling {
        final List<String> submitted = Collections.synchronizedList(new ArrayList<>());
        final List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        final ArrayDeque<Runnable> queued = new ArrayDeque<>();
        volatile boolean inline = true;
        volatile String refusal;
        /** The kernel stops a task at its n-th pause point (0: never). */
        volatile int stopAtYield;
        volatile int yields;

        @Override
        public TaskHandle submit(String name, AppTask task) {
            if (refusal != null) {
                throw new IllegalStateException(refusal);
            }
            assertTrue(name.matches("[A-Za-z0-9._-]{1,100}"), "task name " + name);
            submitted.add(name);
            Runnable run = () -> {
                int[] mine = { 0 };
                TaskContext context = new TaskContext() {
                    @Override
                    public String name() {
                        return name;
                    }

                    @Override
                    public Optional<byte[]> restore() {
                        return Optional.empty();
                    }

                    @Override
                    public void checkpoint(byte[] state) {
                        throw new UnsupportedOperationException();
                    }

                    @Override
                    public void yieldPoint() throws TaskCancelledException {
                        yields++;
                        if (++mine[0] == stopAtYield) {
                            throw new TaskCancelledException("lease ended");
                        }
                    }
                };
                try {
                    task.run(context);
                } catch (Throwable t) {
                    failures.add(t);
                }
            };
            if (inline) {
                run.run();
            } else {
                synchronized (queued) {
                    queued.add(run);
                }
            }
            return new TaskHandle() {
                @Override
                public String name() {
                    return name;
                }

                @Override
                public TaskState state() {
                    return TaskState.QUEUED;
                }

                @Override
                public CompletionStage<Void> completion() {
                    return new CompletableFuture<>();
                }

                @Override
                public void cancel() {
                }
            };
        }

        Thread runNextOnThread() {
            Runnable next;
            synchronized (queued) {
                next = queued.remove();
            }
            Thread t = new Thread(next, "test-task");
            t.setDaemon(true);
            t.start();
            return t;
        }

        void runAll() {
            for (;;) {
                Runnable next;
                synchronized (queued) {
                    next = queued.poll();
                }
                if (next == null) {
                    return;
                }
                next.run();
            }
        }

        @Override
        public void listen(SchedulingListener listener) {
        }

        @Override
        public boolean suspended() {
            return false;
        }
    }

    /** The lease's store, in memory, with the kernel's quota rule and message. */
    static final class MemoryStore implements BlobStore {
        final TreeMap<String, byte[]> blobs = new TreeMap<>();
        final long quota;
        volatile boolean failing;

        MemoryStore(long quota) {
            this.quota = quota;
        }

        @Override
        public synchronized void put(String key, byte[] data) throws QuotaExceededException {
            failIfAsked();
            long after = usedBytes() - Optional.ofNullable(blobs.get(key)).map(b -> b.length).orElse(0) + data.length;
            if (after > quota) {
                throw new QuotaExceededException("storing " + data.length + " bytes under '" + key + "' would hold "
                        + after + " bytes, over the lease's quota of " + quota, quota, after);
            }
            blobs.put(key, data.clone());
        }

        @Override
        public synchronized Optional<byte[]> get(String key) {
            failIfAsked();
            return Optional.ofNullable(blobs.get(key)).map(byte[]::clone);
        }

        @Override
        public synchronized boolean delete(String key) {
            return blobs.remove(key) != null;
        }

        @Override
        public synchronized List<String> list(String prefix) {
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

        private void failIfAsked() {
            if (failing) {
                throw new UncheckedIOException(new IOException("disk gone"));
            }
        }
    }
}
