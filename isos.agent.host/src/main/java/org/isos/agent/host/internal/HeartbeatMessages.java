package org.isos.agent.host.internal;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.isos.agent.host.HostDescription;
import org.isos.agent.host.OwnerPolicy;
import org.isos.kernel.api.Lease;

/**
 * The JSON of {@code POST /v1/hosts/<hostId>/heartbeat} (docs/protocol.md, "Agents"): the request this
 * agent sends and the answer it reads. Reading is strict per entry and lenient per answer: one bad lease in
 * the answer is named and the others still count; an answer that is not the protocol's shape at all is
 * refused as a whole ({@link MalformedAnswer}), so nothing is hosted or ended on a misreading.
 */
final class HeartbeatMessages {

    static final ObjectMapper JSON = new ObjectMapper();

    private HeartbeatMessages() {
    }

    /** What the agent reports besides the description; {@code policy} null while the owner's policy is refused. */
    record Status(boolean suspended, String reason, int apps, InetSocketAddress transport, OwnerPolicy policy,
            List<LeaseReport> leases) {
    }

    /**
     * One lease's outcome as this agent reports it: ACTIVE, FAILED (reason: the refusal) or ENDED; with the bundle
     * it runs under the lease and the last bundle update it refused (and why), when there are such.
     */
    record LeaseReport(String id, String state, String reason, String bundleSha256, String refusedBundleSha256,
            String updateRefused) {

        LeaseReport(String id, String state, String reason) {
            this(id, state, reason, null, null, null);
        }
    }

    /** A lease the server says this host should run now; {@code problem} set (and {@code lease} null) when its terms are unusable. */
    record Granted(String id, Lease lease, String bundleSha256, String problem) {
    }

    /** A lease the server ended. */
    record Ended(String id, String reason) {
    }

    /**
     * The server's answer; {@code problems} names the entries that were skipped; {@code directives} is the
     * owner's directive, null when the server sent none (older servers) or it was unusable.
     */
    record Answer(String serverTime, Integer nextHeartbeatSeconds, List<String> revokedSerials, List<Granted> leases,
            List<Ended> ended, List<String> problems, OwnerDirectives.Directives directives, List<PeerHost> peers) {

        Answer(String serverTime, Integer nextHeartbeatSeconds, List<String> revokedSerials, List<Granted> leases,
                List<Ended> ended, List<String> problems, OwnerDirectives.Directives directives) {
            this(serverTime, nextHeartbeatSeconds, revokedSerials, leases, ended, problems, directives, List.of());
        }

        Answer(String serverTime, Integer nextHeartbeatSeconds, List<String> revokedSerials, List<Granted> leases,
                List<Ended> ended, List<String> problems) {
            this(serverTime, nextHeartbeatSeconds, revokedSerials, leases, ended, problems, null);
        }
    }

    /** Another host running an app this host runs, and where its kernel listens (the answer's {@code peers}). */
    record PeerHost(String hostId, java.net.InetSocketAddress transport) {
    }

    /** The answer is not JSON, or not the protocol's shape. */
    static final class MalformedAnswer extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedAnswer(String message) {
            super(message);
        }
    }

    // --- the request ---

    static String request(HostDescription d, Status s, LocalTime localTime) {
        ObjectNode body = JSON.createObjectNode();
        body.set("description", description(d));
        ObjectNode status = body.putObject("status");
        status.put("suspended", s.suspended());
        status.put("reason", s.reason());
        status.put("apps", s.apps());
        if (s.transport() != null) {
            status.put("transport", transport(s.transport()));
        }
        if (s.policy() != null) {
            status.set("policy", policy(s.policy(), localTime));
        }
        ArrayNode leases = status.putArray("leases");
        for (LeaseReport r : s.leases()) {
            ObjectNode lease = leases.addObject().put("id", r.id()).put("state", r.state());
            if (r.reason() != null) {
                lease.put("reason", r.reason());
            }
            if (r.bundleSha256() != null) {
                lease.put("bundleSha256", r.bundleSha256());
            }
            if (r.refusedBundleSha256() != null && r.updateRefused() != null) {
                lease.put("refusedBundleSha256", r.refusedBundleSha256()).put("updateRefused", r.updateRefused());
            }
        }
        return write(body);
    }

    /** {@code host:port}, an IPv6 host in brackets (what the server accepts and clients can split). */
    static String transport(InetSocketAddress address) {
        String host = address.getHostString();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /**
     * The owner's policy as the server's matching reads it. {@code minimumPricePerHourMicros} is the
     * owner's reserve at this moment: 0 inside the allowed hours (or when none are set: the owner asked
     * no minimum), and {@code minimumPriceOutsideHours} credits (per core-hour, taken as per lease-hour:
     * a lease uses at most a share of the cores) in micro-credits outside them. Outside the hours with a
     * minimum of 0 the agent suspends app work itself, and the server places nothing on a suspended host.
     */
    /** The categories the server leases hosts for (its {@code HostPolicy.CATEGORIES}). */
    static final java.util.Set<String> LEASE_CATEGORIES = java.util.Set.of("compute", "storage", "streaming");

    static ObjectNode policy(OwnerPolicy p, LocalTime localTime) {
        return policy(p, localTime, java.time.ZoneId.systemDefault().getRules().getOffset(java.time.Instant.now()));
    }

    /**
     * The policy with its allowed hours in UTC ({@code offset}: the host's from UTC now), so that the server can
     * match a buyer's UTC window against them, and the reserve outside them in micro-credits.
     */
    static ObjectNode policy(OwnerPolicy p, LocalTime localTime, java.time.ZoneOffset offset) {
        ObjectNode policy = JSON.createObjectNode();
        policy.put("maxCpuShare", p.maxCpuShare());
        policy.put("storageQuotaBytes", p.storageQuotaBytes());
        policy.put("bandwidthCapBytesPerSecond", p.bandwidthCapBytesPerSecond());
        ArrayNode categories = policy.putArray("acceptedCategories");
        // the owner's empty list means "any": the server is told every category it leases, and only those
        new TreeSet<>(p.acceptedCategories().isEmpty() ? LEASE_CATEGORIES : p.acceptedCategories()).stream()
                .filter(LEASE_CATEGORIES::contains).forEach(categories::add);
        policy.put("minimumPricePerHourMicros", minimumPricePerHourMicros(p, localTime));
        ArrayNode hours = policy.putArray("allowedHours");
        p.allowedHours().forEach(h -> hours.add(utcSpan(h, offset)));
        policy.put("minimumPriceOutsideHoursMicros",
                Math.round(Math.min(Math.max(0, p.minimumPriceOutsideHours()) * 1_000_000d, Long.MAX_VALUE)));
        return policy;
    }

    /** A span of local time as {@code HH:MM-HH:MM} of UTC (a whole day stays {@code 00:00-00:00}). */
    static String utcSpan(OwnerPolicy.AllowedHours h, java.time.ZoneOffset offset) {
        int shift = offset.getTotalSeconds() / 60;
        int start = Math.floorMod(h.start().getHour() * 60 + h.start().getMinute() - shift, 1440);
        int end = Math.floorMod(h.end().getHour() * 60 + h.end().getMinute() - shift, 1440);
        if (h.start().equals(h.end())) {
            start = 0;
            end = 0;
        }
        return String.format("%02d:%02d-%02d:%02d", start / 60, start % 60, end / 60, end % 60);
    }

    static long minimumPricePerHourMicros(OwnerPolicy p, LocalTime localTime) {
        if (p.withinHours(localTime) || p.minimumPriceOutsideHours() <= 0) {
            return 0;
        }
        return Math.round(Math.min(p.minimumPriceOutsideHours() * 1_000_000d, Long.MAX_VALUE));
    }

    static ObjectNode description(HostDescription d) {
        ObjectNode o = JSON.createObjectNode();
        o.put("operatingSystem", String.valueOf(d.operatingSystem()));
        o.put("cpuModel", String.valueOf(d.cpuModel()));
        o.put("physicalCores", d.physicalCores());
        o.put("logicalCores", d.logicalCores());
        o.put("maxFrequencyHz", d.maxFrequencyHz());
        o.put("memoryBytes", d.memoryBytes());
        o.put("diskTotalBytes", d.diskTotalBytes());
        o.put("diskFreeBytes", d.diskFreeBytes());
        o.put("uptime", d.uptime().fraction());
        o.put("uptimeSince", String.valueOf(d.uptime().since()));
        ArrayNode network = o.putArray("network");
        for (HostDescription.NetworkLink link : d.network()) {
            ObjectNode l = network.addObject();
            l.put("name", link.name());
            ArrayNode addresses = l.putArray("addresses");
            link.addresses().forEach(addresses::add);
            l.put("speedBitsPerSecond", link.speedBitsPerSecond());
        }
        o.put("surveyedAt", String.valueOf(d.surveyedAt()));
        return o;
    }

    static String write(JsonNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree could not be written", e); // a tree always can
        }
    }

    // --- the answer ---

    static Answer answer(String text) throws MalformedAnswer {
        JsonNode root = tree(text);
        List<String> problems = new ArrayList<>();
        String serverTime = root.path("serverTime").isTextual() ? root.get("serverTime").asText() : null;
        Integer next = null;
        JsonNode n = root.path("nextHeartbeatSeconds");
        if (n.canConvertToInt() && n.isIntegralNumber() && n.asInt() >= 1 && n.asInt() <= 86_400) {
            next = n.asInt();
        } else if (!n.isMissingNode()) {
            problems.add("nextHeartbeatSeconds " + n + " is not 1 to 86400");
        }
        List<String> revoked = new ArrayList<>();
        for (JsonNode serial : array(root, "revokedSerials")) {
            if (serial.isTextual() && serial.asText().matches("[0-9a-fA-F]{1,40}")) {
                revoked.add(serial.asText());
            } else {
                problems.add("revokedSerials: " + serial + " is not a hex serial");
            }
        }
        List<Granted> leases = new ArrayList<>();
        for (JsonNode lease : array(root, "leases")) {
            String id = lease.path("id").isTextual() ? lease.get("id").asText() : null;
            List<String> idProblems = new ArrayList<>();
            InboxRequest.checkId(id, idProblems);
            if (!lease.isObject() || id == null || !idProblems.isEmpty()) {
                problems.add("leases: skipped " + abbreviate(lease) + ": no usable lease id");
                continue;
            }
            leases.add(granted(id, lease));
        }
        List<Ended> ended = new ArrayList<>();
        for (JsonNode end : array(root, "ended")) {
            String id = end.path("id").isTextual() ? end.get("id").asText() : null;
            if (!end.isObject() || id == null || id.isBlank()) {
                problems.add("ended: skipped " + abbreviate(end) + ": no lease id");
                continue;
            }
            String reason = end.path("reason").isTextual() ? end.get("reason").asText() : "ended by the server";
            ended.add(new Ended(id, reason));
        }
        List<PeerHost> peers = new ArrayList<>();
        for (JsonNode peer : array(root, "peers")) {
            String hostId = peer.path("hostId").isTextual() ? peer.get("hostId").asText() : "";
            String transport = peer.path("transport").isTextual() ? peer.get("transport").asText() : null;
            try {
                if (!hostId.matches("[A-Za-z0-9._-]{1,100}")) {
                    throw new IllegalArgumentException("no usable host id");
                }
                peers.add(new PeerHost(hostId, org.isos.kernel.wire.ClientSession.transportAddress(transport)));
            } catch (IllegalArgumentException e) {
                problems.add("peers: skipped " + abbreviate(peer) + ": " + e.getMessage());
            }
        }
        return new Answer(serverTime, next, revoked, leases, ended, problems, DirectiveMessages.directives(root, problems),
                peers);
    }

    /** One entry of {@code leases}, its terms checked as an inbox file's are. */
    private static Granted granted(String id, JsonNode l) {
        List<String> problems = new ArrayList<>();
        String buyer = text(l, "buyer", problems);
        String app = text(l, "app", problems);
        String sha256 = text(l, "bundleSha256", problems);
        if (sha256 != null && !sha256.matches("[0-9a-f]{64}")) {
            problems.add("bundleSha256 '" + sha256 + "' must be 64 lower-case hex digits");
        }
        Instant expiry = null;
        String at = text(l, "expiry", problems);
        if (at != null) {
            try {
                expiry = Instant.parse(at);
            } catch (DateTimeParseException e) {
                problems.add("expiry '" + at + "' is not an ISO instant");
            }
        }
        Double cpu = null;
        JsonNode c = l.path("cpuShare");
        if (c.isNumber()) {
            cpu = c.asDouble();
        } else {
            problems.add(c.isMissingNode() ? "cpuShare missing" : "cpuShare " + c + " is not a number");
        }
        Long memory = bytes(l, "memoryBytes", problems);
        Long storage = bytes(l, "storageQuotaBytes", problems);
        Long bandwidth = bytes(l, "bandwidthBytesPerSecond", problems);
        Lease lease = InboxRequest.terms(id, buyer, app, expiry, cpu, memory, storage, bandwidth, problems);
        if (lease == null || !problems.isEmpty()) {
            return new Granted(id, null, sha256, String.join("; ", problems));
        }
        return new Granted(id, lease, sha256, null);
    }

    private static String text(JsonNode o, String name, List<String> problems) {
        JsonNode v = o.path(name);
        if (v.isTextual() && !v.asText().isBlank()) {
            return v.asText();
        }
        problems.add(v.isMissingNode() || v.isNull() ? name + " missing" : name + " " + abbreviate(v) + " is not a string");
        return null;
    }

    private static Long bytes(JsonNode o, String name, List<String> problems) {
        JsonNode v = o.path(name);
        if (v.isIntegralNumber() && v.canConvertToLong() && v.asLong() >= 0) {
            return v.asLong();
        }
        problems.add(v.isMissingNode() ? name + " missing" : name + " " + abbreviate(v) + " is not a whole number >= 0");
        return null;
    }

    /** The members of an array member; absent means none (older servers), anything but an array is malformed. */
    private static Iterable<JsonNode> array(JsonNode root, String name) throws MalformedAnswer {
        JsonNode v = root.path(name);
        if (v.isMissingNode() || v.isNull()) {
            return List.of();
        }
        if (!v.isArray()) {
            throw new MalformedAnswer("\"" + name + "\" is " + abbreviate(v) + ", not an array");
        }
        return v;
    }

    static JsonNode tree(String text) throws MalformedAnswer {
        JsonNode root;
        try {
            root = JSON.readTree(text == null ? "" : text);
        } catch (JsonProcessingException e) {
            throw new MalformedAnswer("not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new MalformedAnswer("not a JSON object: " + abbreviate(root));
        }
        return root;
    }

    static String abbreviate(JsonNode node) {
        String s = String.valueOf(node);
        return s.length() > 80 ? s.substring(0, 80) + "…" : s;
    }
}
