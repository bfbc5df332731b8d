package org.isos.apps.streaming.host;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import org.isos.apps.streaming.protocol.SegmentMessage;
import org.isos.kernel.api.Allocation;
import org.isos.kernel.api.BlobStore;
import org.isos.kernel.api.Communication;
import org.isos.kernel.api.Peer;
import org.isos.kernel.api.QuotaExceededException;
import org.isos.kernel.api.Scheduling;
import org.isos.kernel.api.TaskCancelledException;
import org.isos.kernel.api.TaskContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The streaming app on a host: keeps the segment fragments the publisher sends in the lease's quota'd store (key
 * {@code seg/<title>/<segment>/<index>}, the blob being the fragment's 32-byte SHA-256 followed by its bytes) and
 * serves them to viewers. A {@code FETCH} is answered on a kernel task with a kernel byte stream on the channel
 * {@code frag/<title>/<segment>/<index>}: its writes block while the lease's bandwidth is spent, so the kernel paces
 * the upload to the lease's cap (and meters every byte) without ever holding up the message thread. Between chunks
 * the task checks whether the viewer sent {@code CANCEL} for that fragment, and ends the stream early if so.
 *
 * <p>Pay-per-view: a {@code FETCH} is served only when it carries a view ticket for the title that the ISOS CA
 * signed and that has not expired ({@link ViewTicketCheck}); otherwise it is answered
 * {@code FAILED} with {@code NO_TICKET}, {@code BAD_TICKET: …} or {@code EXPIRED_TICKET: …}. {@code STORE} needs no
 * ticket: the publisher fills its hosts before the title is on sale.
 */
@Component(immediate = true, service = {})
public class SegmentServer implements Communication.MessageListener {

    static final String KEY_PREFIX = "seg/";

    /** Bytes written (and flushed, so one kernel frame) between two looks at the cancelled flag. */
    static final int CHUNK_BYTES = 16 * 1024;

    private static final int DIGEST_BYTES = 32;

    private final BlobStore store;
    private final Communication communication;
    private final Scheduling scheduling;
    /** Fetches being streamed, by requester and channel: their cancelled flags. */
    private final Map<String, AtomicBoolean> inFlight = new ConcurrentHashMap<>();
    private final ViewTicketCheck tickets;
    /**
     * Tickets checked, by their text: the admission, or the refusal (a forged ticket is refused again at once). A
     * viewer presents the same ticket on every fetch, so the signature is checked once per ticket; the least
     * recently used go first beyond {@link #MAX_CHECKED_TICKETS}.
     */
    private final Map<String, Object> checkedTickets = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Object> eldest) {
            return size() > MAX_CHECKED_TICKETS;
        }
    };

    static final int MAX_CHECKED_TICKETS = 4096;

    @Activate
    public SegmentServer(@Reference Allocation allocation, @Reference Communication communication,
            @Reference Scheduling scheduling) {
        this(allocation.store(), communication, scheduling, ViewTicketCheck.bundled(Clock.systemUTC()));
    }

    SegmentServer(BlobStore store, Communication communication, Scheduling scheduling, ViewTicketCheck tickets) {
        this.store = store;
        this.communication = communication;
        this.scheduling = scheduling;
        this.tickets = tickets;
        communication.listen(this);
    }

    @Override
    public void received(Peer from, byte[] bytes) {
        SegmentMessage message;
        try {
            message = SegmentMessage.decode(bytes);
        } catch (IllegalArgumentException e) {
            reply(from, SegmentMessage.failed("", 0, 0, "unreadable request: " + e.getMessage()));
            return;
        }
        SegmentMessage answer;
        try {
            answer = handle(from, message);
        } catch (RuntimeException e) { // the store's I/O failures among them: the client should hear of it
            answer = failed(message, message.op() + " failed on this host: " + e);
        }
        if (answer != null) {
            reply(from, answer);
        }
    }

    /** The answer to one request; null where there is none to send (a fetch being streamed, a cancel). */
    SegmentMessage handle(Peer from, SegmentMessage message) {
        return switch (message.op()) {
        case STORE -> store(message);
        case FETCH -> fetch(from, message);
        case CANCEL -> {
            AtomicBoolean cancelled = inFlight.get(flightKey(from, message.channel()));
            if (cancelled != null) {
                cancelled.set(true);
            }
            yield null; // the stream's early end is the answer; a fetch already done has nothing to stop
        }
        default -> failed(message, "a host takes STORE, FETCH and CANCEL, not " + message.op());
        };
    }

    private SegmentMessage store(SegmentMessage message) {
        byte[] fragment = message.payload();
        byte[] digest = sha256(fragment);
        String actual = HexFormat.of().formatHex(digest);
        if (!actual.equals(message.fragmentId())) {
            return failed(message, "fragment id " + message.fragmentId() + " does not match the SHA-256 of its "
                    + fragment.length + " bytes (" + actual + "); not stored");
        }
        byte[] blob = new byte[DIGEST_BYTES + fragment.length];
        System.arraycopy(digest, 0, blob, 0, DIGEST_BYTES);
        System.arraycopy(fragment, 0, blob, DIGEST_BYTES, fragment.length);
        try {
            store.put(key(message.title(), message.segment(), message.index()), blob);
        } catch (QuotaExceededException e) {
            return failed(message, e.getMessage());
        }
        return SegmentMessage.stored(message.title(), message.segment(), message.index(), actual);
    }

    /** Null when {@code fetch}'s ticket lets it have a fragment of its title, else the refusal it hears. */
    String refusal(SegmentMessage fetch) {
        String ticket = fetch.ticket();
        String title = fetch.title();
        if (ticket.isEmpty()) {
            return "NO_TICKET: a fetch of " + title + " needs the view ticket the server sells with a view"
                    + " (POST /v1/titles/" + title + "/views)";
        }
        Object outcome;
        synchronized (checkedTickets) {
            outcome = checkedTickets.get(ticket);
        }
        if (outcome == null) {
            try {
                outcome = tickets.check(ticket);
            } catch (IllegalArgumentException e) {
                outcome = e.getMessage();
            }
            synchronized (checkedTickets) {
                checkedTickets.put(ticket, outcome);
            }
        }
        if (!(outcome instanceof ViewTicketCheck.Admit admit)) {
            return (String) outcome;
        }
        if (!admit.title().equals(title)) {
            return "BAD_TICKET: the ticket is for " + admit.title() + ", not " + title;
        }
        return tickets.now().isBefore(admit.expires()) ? null
                : ViewTicketCheck.expired(title, admit.viewId(), admit.expires());
    }

    private SegmentMessage fetch(Peer from, SegmentMessage message) {
        String refused = refusal(message);
        if (refused != null) {
            return failed(message, refused);
        }
        String place = message.title() + "/" + message.segment() + "/" + message.index();
        Optional<byte[]> blob = store.get(key(message.title(), message.segment(), message.index()));
        if (blob.isEmpty()) {
            return failed(message, "no fragment " + place + " on this host");
        }
        byte[] stored = blob.get();
        if (stored.length < DIGEST_BYTES) {
            return failed(message, "fragment " + place + " is corrupt on this host (a blob of " + stored.length
                    + " bytes)");
        }
        byte[] fragment = Arrays.copyOfRange(stored, DIGEST_BYTES, stored.length);
        byte[] digest = sha256(fragment);
        String id = HexFormat.of().formatHex(digest);
        if (!Arrays.equals(digest, Arrays.copyOf(stored, DIGEST_BYTES))) {
            // the store's copy went bad here: serve nothing rather than bytes the viewer must reject anyway
            return failed(message, "fragment " + place + " is corrupt on this host (its " + fragment.length
                    + " bytes no longer hash to its id)");
        }
        if (!message.fragmentId().isEmpty() && !message.fragmentId().equals(id)) {
            return failed(message, "fragment " + place + " on this host is " + id + ", not "
                    + message.fragmentId());
        }
        String channel = message.channel();
        String key = flightKey(from, channel);
        AtomicBoolean cancelled = new AtomicBoolean();
        AtomicBoolean previous = inFlight.put(key, cancelled);
        if (previous != null) {
            previous.set(true); // a repeated fetch supersedes the one still streaming
        }
        try {
            scheduling.submit(taskName(message), context -> {
                try {
                    serve(context, from, message, fragment, cancelled);
                } finally {
                    inFlight.remove(key, cancelled);
                }
            });
        } catch (RuntimeException e) {
            inFlight.remove(key, cancelled);
            return failed(message, "cannot start serving " + place + ": " + e.getMessage());
        }
        return null;
    }

    /** Streams {@code fragment} to {@code to}, chunk by chunk, until it is all sent or the fetch is cancelled. */
    void serve(TaskContext context, Peer to, SegmentMessage request, byte[] fragment, AtomicBoolean cancelled) {
        OutputStream opened;
        try {
            opened = communication.openStream(to, request.channel());
        } catch (RuntimeException e) {
            reply(to, failed(request, "cannot open the stream " + request.channel() + ": " + e.getMessage()));
            return;
        }
        try (OutputStream out = opened) {
            for (int at = 0; at < fragment.length && !cancelled.get(); at += CHUNK_BYTES) {
                out.write(fragment, at, Math.min(CHUNK_BYTES, fragment.length - at));
                out.flush(); // one kernel frame, paced by the lease's bandwidth: this is where the task waits
                context.yieldPoint();
            }
        } catch (TaskCancelledException e) {
            // the lease is ending or the kernel stopped the task: the stream ends short, the viewer goes elsewhere
        } catch (IOException | UncheckedIOException e) {
            // the viewer went away: nothing to tell it
        }
    }

    /** A kernel task name ({@code [A-Za-z0-9._-]}, at most 100 characters) for serving that fetch. */
    static String taskName(SegmentMessage fetch) {
        String place = "-" + fetch.segment() + "-" + fetch.index();
        String title = fetch.title();
        return "fetch-" + title.substring(0, Math.min(title.length(), 100 - 6 - place.length())) + place;
    }

    private void reply(Peer to, SegmentMessage message) {
        communication.send(to, message.encode());
    }

    private static SegmentMessage failed(SegmentMessage request, String reason) {
        return SegmentMessage.failed(request.title(), request.segment(), request.index(), reason);
    }

    static String key(String title, int segment, int index) {
        return KEY_PREFIX + title + "/" + segment + "/" + index;
    }

    private static String flightKey(Peer from, String channel) {
        return from.kind() + ":" + from.id() + " " + channel;
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
