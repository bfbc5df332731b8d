package org.isos.cli;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.isos.apps.compute.protocol.ComputeMessage;
import org.isos.kernel.wire.ClientSession;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The job runner: the buyer's side of a job, the dispatcher between the server's queue and the hosts. Apps have no
 * sockets, so hosts cannot pull work themselves; the runner holds sessions with the compute app on each leased host,
 * asks the server for units for that host ({@code POST /v1/jobs/{id}/dispatch}), sends them, and reports what the
 * host answered ({@code POST /v1/jobs/{id}/results}), asking in the same call for the host's next units. It decides
 * nothing: replication, validation, trust and credit are the server's, so neither a host nor a modified runner can
 * validate its own results. A job progresses only while a runner runs; several may (each for its own leases).
 */
final class JobRunner {

    /** Units a host holds at once (it runs them as kernel tasks, one core's share each). */
    static final int IN_FLIGHT_PER_HOST = 2;
    private static final Duration POLL = Duration.ofMillis(400);
    /** How long a host may be unreachable before the runner stops using it (an agent restart takes a while). */
    static final Duration RECONNECT_FOR = Duration.ofMinutes(3);

    private final ServerConnection server;
    private final String jobId;
    private final List<X509Certificate> ca;
    private final PrintWriter log;
    private final String name;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicInteger working = new AtomicInteger();

    JobRunner(ServerConnection server, String jobId, List<X509Certificate> ca, PrintWriter log, String name) {
        this.server = server;
        this.jobId = jobId;
        this.ca = ca;
        this.log = log;
        this.name = name;
    }

    /** The buyer's ACTIVE leases of the job's app bundle. */
    static List<JsonNode> leasesOf(ServerConnection server, JsonNode job) {
        List<JsonNode> leases = new ArrayList<>();
        for (JsonNode l : server.get("/v1/leases?state=ACTIVE").path("leases")) {
            if (String.valueOf(job.path("bundle").asText()).equals(l.path("bundle").asText())
                    && "ACTIVE".equals(l.path("state").asText()) && !l.path("transportAddress").isNull()
                    && !l.path("transportAddress").asText("").isEmpty()) {
                leases.add(l);
            }
        }
        return leases;
    }

    /**
     * Runs the job on {@code leases} until it is DONE (or {@code timeout} passes, or no host is left working),
     * showing progress on {@code bar}; returns the job's last state.
     */
    JsonNode run(List<JsonNode> leases, Duration timeout, JobProgress bar) throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        for (JsonNode lease : leases) {
            Thread t = new Thread(() -> host(lease), "isos-job-" + lease.path("hostId").asText());
            t.setDaemon(true);
            working.incrementAndGet();
            threads.add(t);
            t.start();
        }
        long end = System.nanoTime() + timeout.toNanos();
        JsonNode job = server.get("/v1/jobs/" + ServerConnection.encode(jobId));
        try {
            while (!"DONE".equals(job.path("state").asText())) {
                bar.show(job, working.get());
                if (System.nanoTime() > end) {
                    throw new CliFailure("job " + jobId + " is not done after " + timeout.toSeconds() + " s: "
                            + JobProgress.summary(job));
                }
                if (working.get() == 0) {
                    throw new CliFailure("job " + jobId + " cannot progress: no leased host is working on it ("
                            + JobProgress.summary(job) + ")");
                }
                Thread.sleep(POLL.toMillis());
                job = server.get("/v1/jobs/" + ServerConnection.encode(jobId));
            }
            bar.show(job, working.get());
            return job;
        } finally {
            stop.set(true);
            for (Thread t : threads) {
                t.join(2_000);
            }
            bar.finish();
        }
    }

    /**
     * One host: a session with its compute app, units out and results back until the job is done. A broken session
     * (the agent restarted, or the network) is opened again at the lease's current transport address (a restarted
     * agent listens on a new port) for up to {@link #RECONNECT_FOR} without a session, and the units the host held
     * are sent again ({@code resend}), so that it goes on with them from their checkpoints.
     */
    private void host(JsonNode lease) {
        String hostId = lease.path("hostId").asText();
        String leaseId = lease.path("id").asText();
        try {
            InetSocketAddress address = address(lease.path("transportAddress").asText());
            long lastSession = System.nanoTime();
            boolean resend = true; // a runner started afresh resends too: an earlier one may have sent them
            while (!stop.get()) {
                try (ClientSession session = ClientSession.open(address, ca, lease.path("buyer").asText(),
                        lease.path("app").asText(), leaseId)) {
                    try {
                        serve(session, hostId, resend);
                        return;
                    } catch (IOException broken) {
                        lastSession = System.nanoTime();
                        throw broken;
                    }
                } catch (IOException e) {
                    boolean givingUp = System.nanoTime() - lastSession > RECONNECT_FOR.toNanos();
                    note("host " + hostId + ": " + e.getMessage() + (givingUp ? "; giving up on it" : "; reconnecting"));
                    if (givingUp) {
                        return;
                    }
                    sleep(Duration.ofSeconds(2));
                    JsonNode now;
                    try {
                        now = server.get("/v1/leases/" + ServerConnection.encode(leaseId));
                    } catch (RuntimeException unreachable) {
                        continue; // the server is busy or away: try the address known so far
                    }
                    if (!"ACTIVE".equals(now.path("state").asText())) {
                        note("host " + hostId + ": lease " + leaseId + " is " + now.path("state").asText()
                                + "; giving up on it");
                        return;
                    }
                    String at = now.path("transportAddress").asText("");
                    if (!at.isEmpty()) {
                        address = address(at);
                    }
                    resend = true;
                }
            }
        } catch (Refusal e) {
            note("host " + hostId + " gets no more work: " + e.getMessage());
        } catch (RuntimeException e) {
            note("host " + hostId + ": " + e);
        } finally {
            working.decrementAndGet();
        }
    }

    /** The server said no for this host (banned, no lease): stop using it. */
    private static final class Refusal extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refusal(String message) {
            super(message);
        }
    }

    private void serve(ClientSession session, String hostId, boolean resend) throws IOException {
        Map<String, Instant> out = new LinkedHashMap<>(); // replica id → deadline
        String path = "/v1/jobs/" + ServerConnection.encode(jobId);
        boolean asked = false; // the last report asked for this host's next units: no dispatch call this time
        while (!stop.get()) {
            if (out.size() < IN_FLIGHT_PER_HOST && !asked) {
                JsonNode units;
                try {
                    ObjectNode ask = ServerConnection.object().put("hostId", hostId)
                            .put("max", IN_FLIGHT_PER_HOST - out.size());
                    if (resend) {
                        ask.put("resend", true); // what the host held before this session: sent again, not reissued
                    }
                    units = server.post(path + "/dispatch", ask).path("units");
                    resend = false;
                } catch (ServerConnection.Refused e) {
                    if (e.status() == 403 || e.status() == 404) {
                        throw new Refusal(e.getMessage());
                    }
                    note("dispatch for " + hostId + ": " + e.getMessage());
                    sleep(Duration.ofSeconds(1));
                    continue;
                }
                for (JsonNode u : units) {
                    String replica = u.path("replicaId").asText();
                    session.send(ComputeMessage.run(replica, Base64.getDecoder().decode(u.path("input").asText())).encode());
                    out.put(replica, Instant.parse(u.path("deadline").asText()));
                }
            }
            asked = false;
            if (out.isEmpty()) {
                sleep(POLL); // nothing ready for this host now: other copies are out, or the job is finishing
                continue;
            }
            List<ComputeMessage> replies = new ArrayList<>();
            try {
                replies.add(ComputeMessage.decode(session.receive(POLL)));
                while (replies.size() < out.size()) {
                    replies.add(ComputeMessage.decode(session.receive(Duration.ZERO))); // what came in together
                }
            } catch (InterruptedIOException e) {
                if (replies.isEmpty()) {
                    // the server reissues what misses its deadline: stop waiting for it here
                    out.values().removeIf(deadline -> deadline.isBefore(Instant.now()));
                    continue;
                }
            }
            // the answers that arrived together go in one report: one transaction on the server
            ObjectNode body = ServerConnection.object();
            ArrayNode results = body.putArray("results");
            for (ComputeMessage reply : replies) {
                if (out.remove(reply.unitId()) == null) {
                    continue;
                }
                ObjectNode report = results.addObject().put("hostId", hostId).put("replicaId", reply.unitId());
                if (reply.op() == ComputeMessage.Op.RESULT) {
                    report.put("result", Base64.getEncoder().encodeToString(reply.payload()));
                } else {
                    report.put("error", reply.reason().isBlank() ? "failed" : reply.reason());
                }
            }
            if (results.isEmpty()) {
                continue;
            }
            // and the host's next units in the same call: one request and one transaction on the server, not two
            body.putObject("next").put("hostId", hostId).put("max", IN_FLIGHT_PER_HOST - out.size());
            try {
                for (JsonNode u : server.post(path + "/results", body).path("units")) {
                    String replica = u.path("replicaId").asText();
                    session.send(ComputeMessage.run(replica, Base64.getDecoder().decode(u.path("input").asText())).encode());
                    out.put(replica, Instant.parse(u.path("deadline").asText()));
                }
                asked = true;
            } catch (ServerConnection.Refused e) {
                if (e.status() != 403) {
                    note("results from " + hostId + ": " + e.getMessage());
                    continue;
                }
                // the host may take no more work (its lease ended): the reports alone, then dispatch says why
                body.remove("next");
                try {
                    server.post(path + "/results", body);
                } catch (ServerConnection.Refused again) {
                    note("results from " + hostId + ": " + again.getMessage());
                }
            }
        }
    }

    static InetSocketAddress address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon < 1) {
            throw new IllegalArgumentException("transport address '" + hostPort + "' is not host:port");
        }
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    private void note(String line) {
        synchronized (log) {
            log.println(name + ": " + line);
            log.flush();
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
