package org.isos.server.http;

import static org.isos.server.http.RequestChecks.*;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.isos.server.accounts.Account;
import org.isos.server.accounts.AccountKind;
import org.isos.server.accounts.Accounts;
import org.isos.server.ca.IssuedCertificate;
import org.isos.server.ca.Revocation;
import org.isos.server.directives.HostDirectives;
import org.isos.server.hosts.EnrolledHost;
import org.isos.server.hosts.Heartbeat;
import org.isos.server.hosts.HostPolicy;
import org.isos.server.hosts.HostStatus;
import org.isos.server.hosts.Hosts;
import org.isos.server.hosts.ReportedStatus;
import org.isos.server.leases.HostLeases;
import org.isos.server.leases.Lease;
import org.isos.server.leases.LeaseReport;
import org.isos.server.leases.Leases;
import org.isos.server.leases.UsageOutcome;
import org.isos.server.leases.UsageReport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What hosts and their owners say to the server: enrollment, the owner's list of hosts, heartbeats
 * (whose answers carry leases back to the host) and signed usage records.
 */
final class HostRoutes {

    static final String HEARTBEAT_ROUTE = "/v1/hosts/{hostId}/heartbeat";
    static final Pattern HEARTBEAT_PATH = Pattern.compile("/v1/hosts/([A-Za-z0-9._-]{1,100})/heartbeat");
    static final String USAGE_ROUTE = "/v1/hosts/{hostId}/usage";
    static final Pattern USAGE_PATH = Pattern.compile("/v1/hosts/([A-Za-z0-9._-]{1,100})/usage");
    static final int MAX_USAGE_RECORDS = 1000;
    static final int MAX_LEASE_REPORTS = 1000;

    private final Accounts accounts;
    private final Hosts hosts;
    private final Leases leases;
    private final int heartbeatSeconds;
    private final String caPemText;
    /** The owners' directives, handed to each host in its heartbeat answer; null: none are given. */
    private final HostDirectives directives;

    HostRoutes(Accounts accounts, Hosts hosts, Leases leases, HostDirectives directives, int heartbeatSeconds,
            String caPemText) {
        this.accounts = accounts;
        this.hosts = hosts;
        this.leases = leases;
        this.directives = directives;
        this.heartbeatSeconds = heartbeatSeconds;
        this.caPemText = caPemText;
    }

    void addTo(ApiRoutes routes) {
        routes.pattern(HEARTBEAT_PATH, HEARTBEAT_ROUTE);
        routes.pattern(USAGE_PATH, USAGE_ROUTE);
        routes.route("POST", "/v1/hosts", this::enrollHost);
        routes.route("GET", "/v1/hosts", this::listHosts);
        routes.route("POST", HEARTBEAT_ROUTE, this::heartbeat);
        routes.route("POST", USAGE_ROUTE, this::usage);
    }

    /**
     * Enrollment: an owner's token and {@code {"csr": PEM, "description": {...}?}}; the host id is derived
     * from the request's key ({@link Hosts#hostIdOf}) and must be the request's CN.
     */
    private ApiResponse enrollHost(ApiRequest request) throws Exception {
        Account owner = authenticate(accounts, request);
        if (owner.kind() != AccountKind.OWNER) {
            throw new ApiException(403, "only host owners enroll hosts (this token is a " + owner.kind().code()
                    + "'s)");
        }
        ObjectNode body = jsonObject(request, true, "csr", "description");
        String csr = requiredString(body, "csr");
        JsonNode description = body.get("description");
        if (description != null && !description.isObject() && !description.isNull()) {
            throw new ApiException(400, "field 'description' must be an object, not " + typeOf(description));
        }
        EnrolledHost host = hosts.enroll(owner, csr.getBytes(StandardCharsets.UTF_8),
                description == null || description.isNull() ? null : Json.MAPPER.writeValueAsString(description));
        IssuedCertificate issued = host.certificate();
        return Json.ok(201, Json.object().put("hostId", host.hostId()).put("owner", host.ownerId())
                .put("status", host.status()).put("serial", issued.serial())
                .put("expires", issued.certificate().getNotAfter().toInstant().toString())
                .put("certificate", IssuedCertificate.pem(issued.certificate())).put("chain", issued.pem())
                .put("caPem", caPemText).put("created", host.created().toString()));
    }

    /**
     * The owner's hosts with their status (OFFLINE once three heartbeats are missed), last heartbeat and the
     * status reported with it ({@code suspended}, {@code suspendedReason}, {@code apps}; null before the first).
     */
    private ApiResponse listHosts(ApiRequest request) throws Exception {
        Account owner = authenticate(accounts, request);
        if (owner.kind() != AccountKind.OWNER) {
            throw new ApiException(403, "only host owners have hosts (this token is a " + owner.kind().code() + "'s)");
        }
        ArrayNode list = Json.MAPPER.createArrayNode();
        for (HostStatus host : hosts.hostsOf(owner)) {
            ObjectNode item = list.addObject().put("hostId", host.hostId()).put("status", host.status())
                    .put("serial", host.certificateSerial()).put("created", host.created().toString())
                    .put("availability", Math.round(host.availability() * 10_000) / 10_000d);
            item.put("lastHeartbeat", host.lastHeartbeat() == null ? null : host.lastHeartbeat().toString());
            item.set("description", host.description() == null ? null : Json.MAPPER.readTree(host.description()));
            ReportedStatus reported = host.reported();
            if (reported == null) {
                item.putNull("suspended");
                item.putNull("suspendedReason");
                item.putNull("apps");
                item.putNull("transport");
                item.putNull("policy");
                item.putNull("memoryBytes");
            } else {
                item.put("suspended", reported.suspended()).put("suspendedReason", reported.reason())
                        .put("apps", reported.apps()).put("transport", reported.transport())
                        .put("memoryBytes", reported.memoryBytes());
                HostPolicy policy = reported.policy();
                if (policy == null) {
                    item.putNull("policy");
                } else {
                    ObjectNode p = item.putObject("policy").put("maxCpuShare", policy.maxCpuShare())
                            .put("storageQuotaBytes", policy.storageQuotaBytes())
                            .put("bandwidthCapBytesPerSecond", policy.bandwidthCapBytesPerSecond())
                            .put("minimumPricePerHourMicros", policy.minimumPricePerHourMicros());
                    ArrayNode categories = p.putArray("acceptedCategories");
                    new java.util.TreeSet<>(policy.acceptedCategories()).forEach(categories::add);
                    if (policy.allowedHours() == null) {
                        p.putNull("allowedHours");
                    } else {
                        policy.allowedHours().forEach(p.putArray("allowedHours")::add);
                    }
                    p.put("minimumPriceOutsideHoursMicros", policy.minimumPriceOutsideHoursMicros());
                }
            }
        }
        ObjectNode answer = Json.object();
        answer.set("hosts", list);
        return Json.ok(200, answer);
    }

    /**
     * A host's heartbeat, authenticated by its TLS client certificate (CN = the path's host id, its current
     * certificate, not revoked): {@code {"description": {...}, "status": {"suspended": bool, "reason": str?,
     * "apps": n}}}.
     */
    private ApiResponse heartbeat(ApiRequest request) throws Exception {
        String hostId = ApiRoutes.idBetween(request.path(), "/v1/hosts/", "/heartbeat");
        if (hostId == null) {
            throw new ApiException(404, "no route " + request.path());
        }
        if (request.clientCertificate() == null) {
            throw new ApiException(401, "no client certificate: a heartbeat must be sent over TLS with the host's "
                    + "certificate (the one enrollment issued)");
        }
        ObjectNode body = jsonObject(request, true, "description", "status");
        JsonNode description = body.get("description");
        if (description == null) {
            throw new ApiException(400, "missing field 'description'");
        }
        if (!description.isObject()) {
            throw new ApiException(400, "field 'description' must be an object, not " + typeOf(description));
        }
        JsonNode status = body.get("status");
        if (status == null) {
            throw new ApiException(400, "missing field 'status'");
        }
        if (!status.isObject()) {
            throw new ApiException(400, "field 'status' must be an object, not " + typeOf(status));
        }
        for (Iterator<String> names = status.fieldNames(); names.hasNext();) {
            String name = names.next();
            if (!List.of("suspended", "reason", "apps", "transport", "policy", "leases").contains(name)) {
                throw new ApiException(400, "unknown field \"status." + name
                        + "\" (allowed: suspended, reason, apps, transport, policy, leases)");
            }
        }
        JsonNode suspended = status.get("suspended");
        if (suspended == null || !suspended.isBoolean()) {
            throw new ApiException(400, suspended == null ? "missing field 'status.suspended'"
                    : "field 'status.suspended' must be a boolean, not " + typeOf(suspended));
        }
        JsonNode reason = status.get("reason");
        if (reason != null && !reason.isTextual() && !reason.isNull()) {
            throw new ApiException(400, "field 'status.reason' must be a string, not " + typeOf(reason));
        }
        if (reason != null && reason.isTextual() && reason.textValue().length() > 1000) {
            throw new ApiException(400, "field 'status.reason' is longer than 1000 characters");
        }
        JsonNode apps = status.get("apps");
        if (apps == null || !apps.canConvertToInt() || !apps.isIntegralNumber() || apps.intValue() < 0) {
            throw new ApiException(400, apps == null ? "missing field 'status.apps'"
                    : "field 'status.apps' must be a whole number >= 0, not " + (apps.isNumber() ? apps.asText() : typeOf(apps)));
        }
        String transport = optionalText(status, "transport", "status.transport");
        if (transport != null && !ReportedStatus.validTransport(transport)) {
            throw new ApiException(400, "field 'status.transport' must be host:port (a port 1 to 65535, at most "
                    + ReportedStatus.MAX_TRANSPORT_CHARS + " characters), not " + quoted(transport));
        }
        HostPolicy policy = policy(status.get("policy"));
        List<LeaseReport> reports = leaseReports(status.get("leases"));
        // the description's memory is what matching offers (a host that does not say is not matched for memory)
        JsonNode memory = description.get("memoryBytes");
        Long memoryBytes = memory != null && memory.canConvertToLong() && memory.isIntegralNumber() && memory.asLong() >= 0
                ? memory.asLong() : null;
        ReportedStatus reported = new ReportedStatus(suspended.booleanValue(),
                reason == null || reason.isNull() ? null : reason.textValue(), apps.intValue(), transport, policy,
                memoryBytes);
        String descriptionText = Json.MAPPER.writeValueAsString(description);
        Heartbeat beat;
        HostLeases delivery = null;
        if (leases == null) {
            beat = hosts.heartbeat(hostId, request.clientCertificate(), descriptionText, reported);
        } else {
            delivery = leases.heartbeat(hostId, request.clientCertificate(), descriptionText, reported, reports);
            beat = delivery.heartbeat();
        }
        ObjectNode answer = Json.object().put("serverTime", beat.serverTime().toString())
                .put("nextHeartbeatSeconds", heartbeatSeconds);
        ArrayNode revoked = answer.putArray("revokedSerials");
        for (Revocation revocation : beat.revoked()) {
            revoked.add(revocation.serial());
        }
        ArrayNode running = answer.putArray("leases");
        ArrayNode ended = answer.putArray("ended");
        if (delivery != null) {
            for (Lease lease : delivery.running()) {
                running.addObject().put("id", lease.id()).put("buyer", lease.buyer()).put("app", lease.app())
                        .put("bundleSha256", lease.bundle()).put("expiry", lease.expiry().toString())
                        .put("cpuShare", lease.cpuShare()).put("memoryBytes", lease.memoryBytes())
                        .put("storageQuotaBytes", lease.storageBytes())
                        .put("bandwidthBytesPerSecond", lease.bandwidthBytesPerSecond());
            }
            for (Lease lease : delivery.ended()) {
                ended.addObject().put("id", lease.id())
                        .put("reason", lease.state() + (lease.reason() == null ? "" : ": " + lease.reason()));
            }
            ArrayNode peers = answer.putArray("peers");
            java.util.Set<String> listed = new java.util.HashSet<>();
            for (Lease lease : delivery.peers()) {
                if (listed.add(lease.hostId())) {
                    peers.addObject().put("hostId", lease.hostId()).put("transport", lease.transportAddress());
                }
            }
        }
        if (directives != null) {
            answer.set("directives", DirectiveRoutes.heartbeatField(directives.directive(hostId)));
        }
        return Json.ok(200, answer);
    }

    /** {@code status.policy}: null when absent or null; every field required when present. */
    private static HostPolicy policy(JsonNode node) throws ApiException {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw new ApiException(400, "field 'status.policy' must be an object, not " + typeOf(node));
        }
        List<String> known = List.of("maxCpuShare", "storageQuotaBytes", "bandwidthCapBytesPerSecond",
                "acceptedCategories", "minimumPricePerHourMicros", "allowedHours", "minimumPriceOutsideHoursMicros");
        for (Iterator<String> names = node.fieldNames(); names.hasNext();) {
            String name = names.next();
            if (!known.contains(name)) {
                throw new ApiException(400, "unknown field \"status.policy." + name + "\" (allowed: "
                        + String.join(", ", known) + ")");
            }
        }
        JsonNode cpu = node.get("maxCpuShare");
        if (cpu == null || !cpu.isNumber() || !(cpu.doubleValue() > 0) || cpu.doubleValue() > HostPolicy.MAX_CPU_SHARE) {
            throw new ApiException(400, cpu == null ? "missing field 'status.policy.maxCpuShare'"
                    : "field 'status.policy.maxCpuShare' must be a number > 0 and <= " + (int) HostPolicy.MAX_CPU_SHARE
                            + ", not " + (cpu.isNumber() ? cpu.asText() : typeOf(cpu)));
        }
        long storage = wholeNumber(node, "storageQuotaBytes", "status.policy.storageQuotaBytes", true, 0);
        long bandwidth = wholeNumber(node, "bandwidthCapBytesPerSecond", "status.policy.bandwidthCapBytesPerSecond", true, 0);
        long reserve = wholeNumber(node, "minimumPricePerHourMicros", "status.policy.minimumPricePerHourMicros", true, 0);
        JsonNode categories = node.get("acceptedCategories");
        if (categories == null || !categories.isArray()) {
            throw new ApiException(400, categories == null ? "missing field 'status.policy.acceptedCategories'"
                    : "field 'status.policy.acceptedCategories' must be an array, not " + typeOf(categories));
        }
        java.util.Set<String> accepted = new java.util.LinkedHashSet<>();
        for (JsonNode category : categories) {
            if (!category.isTextual() || !HostPolicy.CATEGORIES.contains(category.textValue())) {
                throw new ApiException(400, "field 'status.policy.acceptedCategories' may hold only \"compute\", "
                        + "\"storage\" and \"streaming\", not " + (category.isTextual() ? quoted(category.textValue())
                                : typeOf(category)));
            }
            accepted.add(category.textValue());
        }
        // the owner's hours (UTC) and the reserve outside them: optional (older agents), then never matched to a window
        JsonNode hours = node.get("allowedHours");
        List<String> allowedHours = null;
        if (hours != null && !hours.isNull()) {
            if (!hours.isArray() || hours.size() > org.isos.server.hosts.DailyHours.MAX_SPANS) {
                throw new ApiException(400, "field 'status.policy.allowedHours' must be an array of at most "
                        + org.isos.server.hosts.DailyHours.MAX_SPANS + " UTC spans HH:MM-HH:MM, not "
                        + (hours.isArray() ? hours.size() + " spans" : typeOf(hours)));
            }
            allowedHours = new ArrayList<>();
            for (JsonNode span : hours) {
                try {
                    org.isos.server.hosts.DailyHours.minutes(span.isTextual() ? span.textValue() : null);
                } catch (IllegalArgumentException e) {
                    throw new ApiException(400, "field 'status.policy.allowedHours': " + (span.isTextual()
                            ? e.getMessage() : "a span must be a string HH:MM-HH:MM, not " + typeOf(span)));
                }
                allowedHours.add(span.textValue());
            }
        }
        long outside = node.hasNonNull("minimumPriceOutsideHoursMicros") ? wholeNumber(node,
                "minimumPriceOutsideHoursMicros", "status.policy.minimumPriceOutsideHoursMicros", true, 0) : 0;
        return new HostPolicy(cpu.doubleValue(), storage, bandwidth, accepted, reserve, allowedHours, outside);
    }

    /** {@code status.leases}: the host's reports about its leases (empty when absent). */
    private static List<LeaseReport> leaseReports(JsonNode node) throws ApiException {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw new ApiException(400, "field 'status.leases' must be an array, not " + typeOf(node));
        }
        if (node.size() > MAX_LEASE_REPORTS) {
            throw new ApiException(400, "field 'status.leases' holds more than " + MAX_LEASE_REPORTS + " reports");
        }
        List<LeaseReport> reports = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode item = node.get(i);
            String at = "status.leases[" + i + "]";
            if (!item.isObject()) {
                throw new ApiException(400, "field '" + at + "' must be an object, not " + typeOf(item));
            }
            for (Iterator<String> names = item.fieldNames(); names.hasNext();) {
                String name = names.next();
                if (!List.of("id", "state", "reason", "bundleSha256", "refusedBundleSha256", "updateRefused").contains(name)) {
                    throw new ApiException(400, "unknown field \"" + at + "." + name
                            + "\" (allowed: id, state, reason, bundleSha256, refusedBundleSha256, updateRefused)");
                }
            }
            String id = requiredText(item, "id", at + ".id");
            if (id.isEmpty() || id.length() > 100) {
                throw new ApiException(400, "field '" + at + ".id' must be a lease id (1 to 100 characters)");
            }
            String state = requiredText(item, "state", at + ".state");
            if (!List.of("ACTIVE", "FAILED", "ENDED").contains(state)) {
                throw new ApiException(400, "field '" + at + ".state' must be \"ACTIVE\", \"FAILED\" or \"ENDED\", not "
                        + quoted(state));
            }
            String reason = optionalText(item, "reason", at + ".reason");
            if (reason != null && reason.length() > 1000) {
                throw new ApiException(400, "field '" + at + ".reason' is longer than 1000 characters");
            }
            reports.add(LeaseUpdateRoutes.withBundle(new LeaseReport(id, state, reason), item, at));
        }
        return reports;
    }

    /** The host's signed usage records: {@code {"records": [...]}}, at most {@value #MAX_USAGE_RECORDS}. */
    private ApiResponse usage(ApiRequest request) throws Exception {
        Matcher path = USAGE_PATH.matcher(request.path());
        if (!path.matches()) {
            throw new ApiException(404, "no route " + request.path());
        }
        String hostId = path.group(1);
        if (request.clientCertificate() == null) {
            throw new ApiException(401, "no client certificate: usage must be sent over TLS with the host's "
                    + "certificate (the one enrollment issued)");
        }
        ObjectNode body = jsonObject(request, true, "records");
        JsonNode records = body.get("records");
        if (records == null || !records.isArray()) {
            throw new ApiException(400, records == null ? "missing field 'records'"
                    : "field 'records' must be an array, not " + typeOf(records));
        }
        if (records.size() > MAX_USAGE_RECORDS) {
            throw new ApiException(400, "field 'records' holds " + records.size() + " records; send at most "
                    + MAX_USAGE_RECORDS + " at once");
        }
        List<UsageReport> reports = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            reports.add(usageReport(records.get(i), "records[" + i + "]"));
        }
        UsageOutcome outcome = service(leases).usage(hostId, request.clientCertificate(), reports);
        ObjectNode answer = Json.object();
        ArrayNode accepted = answer.putArray("accepted");
        for (UsageOutcome.Accepted a : outcome.accepted()) {
            accepted.addObject().put("leaseId", a.leaseId()).put("sequence", a.sequence());
        }
        ArrayNode refused = answer.putArray("refused");
        for (UsageOutcome.Refused r : outcome.refused()) {
            refused.addObject().put("leaseId", r.leaseId()).put("sequence", r.sequence()).put("reason", r.reason());
        }
        return Json.ok(200, answer);
    }

    private static UsageReport usageReport(JsonNode item, String at) throws ApiException {
        if (!item.isObject()) {
            throw new ApiException(400, "field '" + at + "' must be an object, not " + typeOf(item));
        }
        List<String> known = List.of("leaseId", "hostId", "sequence", "from", "to", "cpuNanos", "storageByteSeconds",
                "bytesIn", "bytesOut", "last", "signature");
        for (Iterator<String> names = item.fieldNames(); names.hasNext();) {
            String name = names.next();
            if (!known.contains(name)) {
                throw new ApiException(400, "unknown field \"" + at + "." + name + "\" (allowed: "
                        + String.join(", ", known) + ")");
            }
        }
        String leaseId = requiredText(item, "leaseId", at + ".leaseId");
        String hostId = requiredText(item, "hostId", at + ".hostId");
        long sequence = wholeNumber(item, "sequence", at + ".sequence", true, 1);
        java.time.Instant from = instant(item, "from", at + ".from");
        java.time.Instant to = instant(item, "to", at + ".to");
        if (to.isBefore(from)) {
            throw new ApiException(400, "field '" + at + ".to' is before '" + at + ".from'");
        }
        long cpuNanos = wholeNumber(item, "cpuNanos", at + ".cpuNanos", true, 0);
        JsonNode storage = item.get("storageByteSeconds");
        if (storage == null || !storage.isNumber() || !(storage.doubleValue() >= 0)
                || Double.isInfinite(storage.doubleValue())) {
            throw new ApiException(400, storage == null ? "missing field '" + at + ".storageByteSeconds'"
                    : "field '" + at + ".storageByteSeconds' must be a number >= 0");
        }
        long bytesIn = wholeNumber(item, "bytesIn", at + ".bytesIn", true, 0);
        long bytesOut = wholeNumber(item, "bytesOut", at + ".bytesOut", true, 0);
        JsonNode last = item.get("last");
        if (last == null || !last.isBoolean()) {
            throw new ApiException(400, last == null ? "missing field '" + at + ".last'"
                    : "field '" + at + ".last' must be a boolean, not " + typeOf(last));
        }
        String signature = requiredText(item, "signature", at + ".signature");
        if (signature.length() > 1000) {
            throw new ApiException(400, "field '" + at + ".signature' is longer than 1000 characters");
        }
        return new UsageReport(leaseId, hostId, sequence, from, to, cpuNanos, storage.doubleValue(), bytesIn, bytesOut,
                last.booleanValue(), signature);
    }
}
