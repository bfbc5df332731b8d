package org.isos.agent.host.internal;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.isos.agent.host.internal.HeartbeatMessages.MalformedAnswer;
import org.isos.kernel.host.UsageOutbox;
import org.isos.kernel.wire.UsageRecord;

/**
 * Delivers the kernel's signed usage records to the server: {@code POST /v1/hosts/<hostId>/usage
 * {"records": [...]}} in batches of at most {@value #BATCH} (docs/protocol.md, "Agents"). Records the
 * server accepts or refuses are forgotten ({@link UsageOutbox#delivered}; each refusal logged once at
 * WARNING); the rest stay in the kernel's outbox, on disk, for the next try. The kernel closes usage
 * periods on its own clock ({@code usagePeriodSeconds}), and writes a lease's final record when it ends,
 * so {@link #deliver} sends {@link UsageOutbox#pending()} and does not cut periods short itself.
 */
final class UsageDelivery {

    static final int BATCH = 1000;
    private static final Logger LOG = System.getLogger(UsageDelivery.class.getName());

    /** How a batch reaches the server: the JSON body in, the server's reply out. */
    interface Post {
        ServerConnection.Reply post(String json) throws IOException, InterruptedException;
    }

    /** What one round did. */
    record Round(int sent, int accepted, int refused, int pending) {
    }

    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private volatile int pending = -1;
    private volatile String lastFailure;

    /** Records the server accepted since the agent started. */
    long accepted() {
        return accepted.get();
    }

    /** Records the server refused since the agent started. */
    long refused() {
        return refused.get();
    }

    /** Records waiting after the last round, or -1 before the first. */
    int pending() {
        return pending;
    }

    /**
     * Sends every pending record, batch by batch, stopping at the first batch the server did not answer.
     *
     * @throws IOException the server could not be reached, or answered other than 200 (records kept)
     */
    Round deliver(UsageOutbox outbox, Post post) throws IOException, InterruptedException {
        List<UsageRecord> records = outbox.pending();
        int sent = 0;
        int ok = 0;
        int no = 0;
        try {
            for (int from = 0; from < records.size(); from += BATCH) {
                List<UsageRecord> batch = records.subList(from, Math.min(records.size(), from + BATCH));
                ServerConnection.Reply reply = post.post(body(batch));
                sent += batch.size();
                if (reply.status() != 200) {
                    throw new IOException("usage refused as a whole: " + reply.problem());
                }
                JsonNode answer;
                try {
                    answer = HeartbeatMessages.tree(reply.text());
                } catch (MalformedAnswer e) {
                    throw new IOException("unreadable answer to usage: " + e.getMessage());
                }
                Set<String> inBatch = new HashSet<>();
                batch.forEach(r -> inBatch.add(key(r.leaseId(), r.sequence())));
                for (JsonNode a : answer.path("accepted")) {
                    String key = key(a.path("leaseId").asText(""), a.path("sequence").asLong(-1));
                    if (inBatch.remove(key)) {
                        outbox.delivered(a.get("leaseId").asText(), a.get("sequence").asLong());
                        ok++;
                    }
                }
                for (JsonNode r : answer.path("refused")) {
                    String key = key(r.path("leaseId").asText(""), r.path("sequence").asLong(-1));
                    if (inBatch.remove(key)) {
                        LOG.log(Level.WARNING, "the server refused usage record {0}: {1}", key,
                                r.path("reason").asText("no reason given"));
                        outbox.delivered(r.get("leaseId").asText(), r.get("sequence").asLong());
                        no++;
                    }
                }
                if (!inBatch.isEmpty()) {
                    LOG.log(Level.DEBUG, "the server answered nothing about usage records {0}; kept for the next try",
                            inBatch);
                }
            }
            if (lastFailure != null) {
                LOG.log(Level.INFO, "usage reaches the server again");
                lastFailure = null;
            }
        } catch (IOException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName()
                    : e.getClass().getSimpleName() + ": " + e.getMessage();
            if (!why.equals(lastFailure)) {
                LOG.log(Level.WARNING, "usage not delivered (kept for the next try): {0}", why);
                lastFailure = why;
            }
            throw e;
        } finally {
            accepted.addAndGet(ok);
            refused.addAndGet(no);
            pending = records.size() - ok - no;
        }
        return new Round(sent, ok, no, records.size() - ok - no);
    }

    private static String key(String leaseId, long sequence) {
        return leaseId + "#" + sequence;
    }

    /** {@code {"records": [...]}} with the fields the server checks the signature over. */
    static String body(List<UsageRecord> records) {
        ObjectNode body = HeartbeatMessages.JSON.createObjectNode();
        ArrayNode array = body.putArray("records");
        for (UsageRecord r : records) {
            array.addObject().put("leaseId", r.leaseId()).put("hostId", r.hostId()).put("sequence", r.sequence())
                    .put("from", r.from().toString()).put("to", r.to().toString())
                    .put("cpuNanos", r.usage().cpuNanos()).put("storageByteSeconds", r.usage().storageByteSeconds())
                    .put("bytesIn", r.usage().bytesIn()).put("bytesOut", r.usage().bytesOut())
                    .put("last", r.last()).put("signature", r.signature());
        }
        return HeartbeatMessages.write(body);
    }
}
