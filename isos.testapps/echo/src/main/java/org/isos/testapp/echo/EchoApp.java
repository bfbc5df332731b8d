package org.isos.testapp.echo;

import java.nio.charset.StandardCharsets;

import org.isos.kernel.api.Allocation;
import org.isos.kernel.api.Communication;
import org.isos.kernel.api.Lease;
import org.isos.kernel.api.Metering;
import org.isos.kernel.api.Peer;
import org.isos.kernel.api.QuotaExceededException;
import org.isos.kernel.api.Scheduling;
import org.isos.kernel.api.SchedulingListener;
import org.isos.kernel.api.TaskContext;
import org.isos.kernel.api.Usage;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * A test app that uses all four kernel services, driven by text commands from an external client:
 * {@code put K V}, {@code get K}, {@code work N}, {@code usage}, {@code ping-self}, {@code lease},
 * {@code stream N}, {@code send-to HOST TEXT} (TEXT to this app on host HOST; answers {@code sent to HOST} or
 * {@code send failed: why}); anything else is echoed. It records scheduling events in its store.
 */
@Component(service = Echo.class, immediate = true)
public class EchoApp implements Echo, Communication.MessageListener, SchedulingListener {

    static final String VERSION_MARK = "v1";

    private final Allocation allocation;
    private final Scheduling scheduling;
    private final Communication communication;
    private final Metering metering;

    @Activate
    public EchoApp(@Reference Allocation allocation, @Reference Scheduling scheduling,
            @Reference Communication communication, @Reference Metering metering) {
        this.allocation = allocation;
        this.scheduling = scheduling;
        this.communication = communication;
        this.metering = metering;
        communication.listen(this);
        scheduling.listen(this);
        record("started", VERSION_MARK);
    }

    @Override
    public String echo(String text) {
        return text;
    }

    @Override
    public void received(Peer from, byte[] message) {
        String text = new String(message, StandardCharsets.UTF_8);
        String[] words = text.split(" ", 3);
        String reply = switch (words[0]) {
        case "put" -> put(words[1], words.length > 2 ? words[2] : "");
        case "get" -> allocation.store().get(words[1]).map(b -> new String(b, StandardCharsets.UTF_8)).orElse("missing");
        case "work" -> work(words[1], Integer.parseInt(words[2]));
        case "usage" -> usage();
        case "ping-self" -> {
            communication.send(Peer.host(communication.hostId()), "ping".getBytes(StandardCharsets.UTF_8));
            yield "pinging " + communication.hostId();
        }
        case "ping" -> {
            record("pinged-by", from.id());
            yield null;
        }
        case "lease" -> lease();
        case "send-to" -> sendTo(words[1], words.length > 2 ? words[2] : "ping");
        case "stream" -> stream(from, Integer.parseInt(words[1]));
        case "version" -> VERSION_MARK;
        default -> "echo:" + text;
        };
        if (reply != null) {
            communication.send(from, reply.getBytes(StandardCharsets.UTF_8));
        }
    }

    private String put(String key, String value) {
        try {
            allocation.store().put(key, value.getBytes(StandardCharsets.UTF_8));
            return "ok";
        } catch (QuotaExceededException e) {
            return "quota: " + e.getMessage();
        }
    }

    /** Counts to {@code steps} in CPU-bound steps, checkpointing the count, so it resumes where it stopped. */
    private String work(String name, int steps) {
        scheduling.submit(name, (TaskContext context) -> {
            int done = context.restore().map(b -> Integer.parseInt(new String(b, StandardCharsets.UTF_8))).orElse(0);
            long sink = 0;
            while (done < steps) {
                long until = System.nanoTime() + 2_000_000;
                while (System.nanoTime() < until) {
                    sink += Long.numberOfTrailingZeros(sink + until);
                }
                done++;
                context.checkpoint(Integer.toString(done).getBytes(StandardCharsets.UTF_8));
            }
            record(name + ".done", Integer.toString(done) + (sink == 42 ? "" : ""));
        });
        return "submitted " + name;
    }

    private String usage() {
        Usage u = metering.usage();
        return "cpu=" + u.cpuNanos() + " in=" + u.bytesIn() + " out=" + u.bytesOut() + " storage="
                + (long) u.storageByteSeconds();
    }

    private String lease() {
        Lease lease = allocation.lease();
        return lease.id() + " " + lease.buyer() + " " + lease.expiry();
    }

    /** Waits for the outcome on the delivery thread it was called on: the answer says what became of it. */
    private String sendTo(String host, String text) {
        try {
            communication.send(Peer.host(host), text.getBytes(StandardCharsets.UTF_8)).toCompletableFuture()
                    .get(20, java.util.concurrent.TimeUnit.SECONDS);
            return "sent to " + host;
        } catch (java.util.concurrent.ExecutionException e) {
            return "send failed: " + e.getCause().getMessage();
        } catch (java.util.concurrent.TimeoutException e) {
            return "send failed: no outcome within 20 s";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "send failed: interrupted";
        }
    }

    private String stream(Peer to, int bytes) {
        try (var out = communication.openStream(to, "numbers")) {
            for (int i = 0; i < bytes; i++) {
                out.write(i & 0xFF);
            }
        } catch (java.io.IOException e) {
            return "stream failed: " + e.getMessage();
        }
        return "streamed " + bytes;
    }

    @Override
    public void suspended(String reason) {
        record("suspended", reason);
    }

    @Override
    public void resumed() {
        record("resumed", "yes");
    }

    @Override
    public void leaseEnding(Lease lease) {
        record("ending", lease.id());
    }

    private void record(String key, String value) {
        try {
            allocation.store().put("event." + key, value.getBytes(StandardCharsets.UTF_8));
        } catch (QuotaExceededException e) {
            // a full store loses the event, not the app
        }
    }
}
