package org.isos.server.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.isos.server.accounts.Account;
import org.isos.server.accounts.AccountKind;
import org.isos.server.accounts.AccountRefused;
import org.isos.server.accounts.Accounts;
import org.isos.server.accounts.IssuedToken;
import org.isos.server.ca.CertificateRefused;
import org.isos.server.ca.IssuedCertificate;
import org.isos.server.ca.Revocation;
import org.isos.server.bank.Balance;
import org.isos.server.bank.Bank;
import org.isos.server.bank.BankRefused;
import org.isos.server.bank.LedgerEntry;
import org.isos.server.bank.LedgerTotals;
import org.isos.server.bank.Transfer;
import org.isos.server.ca.CertificateAuthority;
import org.isos.server.hosts.EnrolledHost;
import org.isos.server.hosts.HostPolicy;
import org.isos.server.leases.HostLeases;
import org.isos.server.leases.Lease;
import org.isos.server.leases.LeaseRefused;
import org.isos.server.leases.LeaseReport;
import org.isos.server.leases.LeaseRequest;
import org.isos.server.leases.Leases;
import org.isos.server.leases.UsageOutcome;
import org.isos.server.leases.UsageReport;
import org.isos.server.repository.BundleRefused;
import org.isos.server.repository.Repository;
import org.isos.server.repository.StoredBundle;
import org.isos.server.hosts.Heartbeat;
import org.isos.server.hosts.HostStatus;
import org.isos.server.hosts.HostRefused;
import org.isos.server.hosts.Hosts;
import org.isos.server.hosts.ReportedStatus;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The API's routes and what each does: plain Java over {@link ApiRequest} and {@link ApiResponse},
 * run on a worker thread (it may block on the store). Every refusal is an {@link ApiException} that
 * becomes {@code {"error": ..., "status": 4xx}}; anything else is a 500 with a reference, logged.
 */
final class ApiRoutes {

    private static final Logger LOG = Logger.getLogger(ApiRoutes.class.getName());
    private static final Map<String, String> BEARER_CHALLENGE = Map.of("WWW-Authenticate", "Bearer realm=\"isos\"");
    private static final Map<String, String> INVALID_TOKEN = Map.of("WWW-Authenticate",
            "Bearer realm=\"isos\", error=\"invalid_token\"");

    @FunctionalInterface
    private interface Endpoint {
        ApiResponse handle(ApiRequest request) throws Exception;
    }

    private final Accounts accounts;
    private final Hosts hosts;
    private final CertificateAuthority ca;
    private final Repository repository;
    private final Leases leases;
    private final Bank bank;
    private final String caPemText;
    private final byte[] caPem;
    private final byte[] openApi;
    private final int heartbeatSeconds;
    static final String HEARTBEAT_ROUTE = "/v1/hosts/{hostId}/heartbeat";
    private static final Pattern HEARTBEAT_PATH = Pattern.compile("/v1/hosts/([A-Za-z0-9._-]{1,100})/heartbeat");
    static final String USAGE_ROUTE = "/v1/hosts/{hostId}/usage";
    private static final Pattern USAGE_PATH = Pattern.compile("/v1/hosts/([A-Za-z0-9._-]{1,100})/usage");
    static final String BUNDLE_ROUTE = "/v1/bundles/{sha256}";
    private static final Pattern BUNDLE_PATH = Pattern.compile("/v1/bundles/([^/]{1,100})");
    static final String LEASE_ROUTE = "/v1/leases/{id}";
    private static final Pattern LEASE_PATH = Pattern.compile("/v1/leases/([A-Za-z0-9._-]{1,100})");
    static final String RENEW_ROUTE = "/v1/leases/{id}/renew";
    private static final Pattern RENEW_PATH = Pattern.compile("/v1/leases/([A-Za-z0-9._-]{1,100})/renew");
    /** The pattern routes: a path matching one is served by that route; every other path is matched exactly. */
    private static final Map<Pattern, String> PATTERNS = Map.of(HEARTBEAT_PATH, HEARTBEAT_ROUTE, USAGE_PATH,
            USAGE_ROUTE, BUNDLE_PATH, BUNDLE_ROUTE, LEASE_PATH, LEASE_ROUTE, RENEW_PATH, RENEW_ROUTE);
    static final int MAX_USAGE_RECORDS = 1000;
    static final int MAX_LEASE_REPORTS = 1000;
    /** path → method → endpoint; paths are matched exactly, but for {@link #PATTERNS}. */
    private final Map<String, Map<String, Endpoint>> routes = new LinkedHashMap<>();

    ApiRoutes(Accounts accounts, String caPem, byte[] openApi) {
        this(accounts, null, caPem, openApi);
    }

    ApiRoutes(Accounts accounts, Hosts hosts, String caPem, byte[] openApi) {
        this(accounts, hosts, caPem, openApi, 30);
    }

    ApiRoutes(Accounts accounts, Hosts hosts, String caPem, byte[] openApi, int heartbeatSeconds) {
        this(accounts, hosts, caPem, openApi, heartbeatSeconds, null, null, null, null);
    }

    /** Every service the API calls; a null one (tests of one part) makes its routes answer 503. */
    ApiRoutes(Accounts accounts, Hosts hosts, String caPem, byte[] openApi, int heartbeatSeconds,
            CertificateAuthority ca, Repository repository, Leases leases, Bank bank) {
        this.heartbeatSeconds = heartbeatSeconds;
        this.accounts = accounts;
        this.hosts = hosts;
        this.ca = ca;
        this.repository = repository;
        this.leases = leases;
        this.bank = bank;
        this.caPemText = caPem;
        this.caPem = caPem.getBytes(StandardCharsets.US_ASCII);
        this.openApi = openApi.clone();
        route("POST", "/v1/accounts", this::createAccount);
        route("GET", "/v1/me", this::me);
        route("POST", "/v1/tokens", this::issueToken);
        route("DELETE", "/v1/tokens/current", this::revokeToken);
        route("POST", "/v1/hosts", this::enrollHost);
        route("GET", "/v1/hosts", this::listHosts);
        route("POST", HEARTBEAT_ROUTE, this::heartbeat);
        route("POST", USAGE_ROUTE, this::usage);
        route("POST", "/v1/certificates", this::buyerCertificate);
        route("POST", "/v1/bundles", this::uploadBundle);
        route("GET", "/v1/bundles", this::listBundles);
        route("GET", BUNDLE_ROUTE, this::downloadBundle);
        route("POST", "/v1/leases", this::grantLeases);
        route("GET", "/v1/leases", this::listLeases);
        route("GET", LEASE_ROUTE, this::getLease);
        route("DELETE", LEASE_ROUTE, this::releaseLease);
        route("POST", RENEW_ROUTE, this::renewLease);
        route("POST", "/v1/deposits", this::deposit);
        route("POST", "/v1/withdrawals", this::withdraw);
        route("GET", "/v1/balance", this::balance);
        route("GET", "/v1/ledger", this::ledger);
        route("GET", "/v1/ledger/totals", this::totals);
        route("GET", "/v1/ca.pem", r -> new ApiResponse(200, "application/x-pem-file", this.caPem, Map.of(), false));
        route("GET", "/v1/openapi.json", r -> new ApiResponse(200, ApiResponse.JSON, this.openApi, Map.of(), false));
    }

    private void route(String method, String path, Endpoint endpoint) {
        routes.computeIfAbsent(path, p -> new LinkedHashMap<>()).put(method, endpoint);
    }

    /** The routes, path → methods (what the OpenAPI description must list). */
    Map<String, List<String>> table() {
        Map<String, List<String>> table = new LinkedHashMap<>();
        routes.forEach((path, methods) -> table.put(path, List.copyOf(methods.keySet())));
        return table;
    }

    /** Answers a request; never throws. */
    ApiResponse handle(ApiRequest request) {
        try {
            Map<String, Endpoint> methods = routes.get(routeOf(request.path()));
            if (methods == null) {
                throw new ApiException(404, "no route " + request.path());
            }
            Endpoint endpoint = methods.get(request.method());
            if (endpoint == null) {
                String allowed = String.join(", ", methods.keySet());
                throw new ApiException(405, request.method() + " is not allowed on " + request.path()
                        + " (allowed: " + allowed + ")", Map.of("Allow", allowed));
            }
            return endpoint.handle(request);
        } catch (ApiException e) {
            return Json.error(e);
        } catch (AccountRefused | CertificateRefused e) {
            return Json.error(400, e.getMessage(), Map.of());
        } catch (BundleRefused e) {
            int status = switch (e.reason()) {
                case NOT_A_BUYER -> 403;
                case INADMISSIBLE -> 400;
                case TOO_LARGE -> 413;
                case NOT_FOUND -> 404;
            };
            return Json.error(status, e.getMessage(), Map.of());
        } catch (LeaseRefused e) {
            int status = switch (e.reason()) {
                case BAD_REQUEST -> 400;
                case FORBIDDEN -> 403;
                case NOT_FOUND -> 404;
                case NOT_ENOUGH_HOSTS, ENDED -> 409;
                case INSUFFICIENT_FUNDS -> 402;
            };
            return Json.error(status, e.getMessage(), Map.of());
        } catch (BankRefused e) {
            int status = switch (e.reason()) {
                case INSUFFICIENT_FUNDS -> 402;
                case BAD_REQUEST -> 400;
                case UNKNOWN_ACCOUNT -> 404;
                case CONFLICT -> 409;
            };
            return Json.error(status, e.getMessage(), Map.of());
        } catch (HostRefused e) {
            int status = switch (e.reason()) {
                case NOT_AN_OWNER -> 403;
                case ALREADY_ENROLLED -> 409;
                case BAD_REQUEST -> 400;
                case NOT_THIS_HOST -> 403;
            };
            return Json.error(status, e.getMessage(), Map.of());
        } catch (Exception | Error e) {
            return internalError(e);
        }
    }

    /** The route a path belongs to: a pattern route's template, else the path itself. */
    private static String routeOf(String path) {
        for (Map.Entry<Pattern, String> pattern : PATTERNS.entrySet()) {
            if (pattern.getKey().matcher(path).matches()) {
                return pattern.getValue();
            }
        }
        return path;
    }

    /** A 500 whose reference is in the log next to the stack trace; the client gets only the reference. */
    ApiResponse internalError(Throwable failure) {
        String reference = UUID.randomUUID().toString();
        LOG.log(Level.SEVERE, "internal error, reference " + reference, failure);
        return Json.error(500, "internal error (reference " + reference + ")", Map.of());
    }

    // ------------------------------------------------------------------ endpoints

    /** Open to anyone for now: the enrollment and bank issues will gate who may create accounts. */
    private ApiResponse createAccount(ApiRequest request) throws Exception {
        ObjectNode body = jsonObject(request, true, "kind", "name");
        String kindCode = requiredString(body, "kind");
        AccountKind kind;
        try {
            kind = AccountKind.ofCode(kindCode);
        } catch (AccountRefused e) {
            throw new ApiException(400, "field 'kind' must be \"owner\" or \"buyer\", not " + quoted(kindCode));
        }
        IssuedToken issued = accounts.create(kind, requiredString(body, "name"));
        return Json.ok(201, account(issued.account()).put("token", issued.secret()));
    }

    private ApiResponse me(ApiRequest request) throws Exception {
        return Json.ok(200, account(authenticate(request)));
    }

    private ApiResponse issueToken(ApiRequest request) throws Exception {
        Account account = authenticate(request);
        jsonObject(request, false);
        IssuedToken issued = accounts.issueToken(account.id());
        return Json.ok(201, Json.object().put("token", issued.secret()).put("account", account.id())
                .put("created", issued.created().toString()));
    }

    private ApiResponse revokeToken(ApiRequest request) throws Exception {
        authenticate(request);
        if (request.body().length > 0) {
            throw new ApiException(400, "DELETE /v1/tokens/current takes no request body");
        }
        accounts.revoke(bearer(request));
        return ApiResponse.noContent();
    }

    /**
     * Enrollment: an owner's token and {@code {"csr": PEM, "description": {...}?}}; the host id is derived
     * from the request's key ({@link Hosts#hostIdOf}) and must be the request's CN.
     */
    private ApiResponse enrollHost(ApiRequest request) throws Exception {
        Account owner = authenticate(request);
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
        Account owner = authenticate(request);
        if (owner.kind() != AccountKind.OWNER) {
            throw new ApiException(403, "only host owners have hosts (this token is a " + owner.kind().code() + "'s)");
        }
        ArrayNode list = Json.MAPPER.createArrayNode();
        for (HostStatus host : hosts.hostsOf(owner)) {
            ObjectNode item = list.addObject().put("hostId", host.hostId()).put("status", host.status())
                    .put("serial", host.certificateSerial()).put("created", host.created().toString());
            item.put("lastHeartbeat", host.lastHeartbeat() == null ? null : host.lastHeartbeat().toString());
            item.set("description", host.description() == null ? null : Json.MAPPER.readTree(host.description()));
            ReportedStatus reported = host.reported();
            if (reported == null) {
                item.putNull("suspended");
                item.putNull("suspendedReason");
                item.putNull("apps");
                item.putNull("transport");
                item.putNull("policy");
            } else {
                item.put("suspended", reported.suspended()).put("suspendedReason", reported.reason())
                        .put("apps", reported.apps()).put("transport", reported.transport());
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
        Matcher path = HEARTBEAT_PATH.matcher(request.path());
        if (!path.matches()) {
            throw new ApiException(404, "no route " + request.path());
        }
        String hostId = path.group(1);
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
        ReportedStatus reported = new ReportedStatus(suspended.booleanValue(),
                reason == null || reason.isNull() ? null : reason.textValue(), apps.intValue(), transport, policy);
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
                "acceptedCategories", "minimumPricePerHourMicros");
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
        return new HostPolicy(cpu.doubleValue(), storage, bandwidth, accepted, reserve);
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
                if (!List.of("id", "state", "reason").contains(name)) {
                    throw new ApiException(400, "unknown field \"" + at + "." + name + "\" (allowed: id, state, reason)");
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
            reports.add(new LeaseReport(id, state, reason));
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

    // ------------------------------------------------------------------ buyer certificates and the repository

    /** A code-signing certificate for the buyer's key: {@code {"csr": PEM}} with CN = the buyer's account id. */
    private ApiResponse buyerCertificate(ApiRequest request) throws Exception {
        Account buyer = authenticate(request);
        if (buyer.kind() != AccountKind.BUYER) {
            throw new ApiException(403, "only buyers get code-signing certificates (this token is a "
                    + buyer.kind().code() + "'s)");
        }
        ObjectNode body = jsonObject(request, true, "csr");
        String csr = requiredString(body, "csr");
        if (csr.length() > 16 * 1024) {
            throw new ApiException(400, "field 'csr' is longer than 16 KiB");
        }
        IssuedCertificate issued = service(ca).issueBuyerCertificate(buyer.id(), csr.getBytes(StandardCharsets.UTF_8));
        return Json.ok(201, Json.object().put("serial", issued.serial())
                .put("certificate", IssuedCertificate.pem(issued.certificate())).put("chain", issued.pem())
                .put("caPem", caPemText).put("expires", issued.certificate().getNotAfter().toInstant().toString()));
    }

    /** A signed jar ({@code application/java-archive}, at most 64 MiB), admitted and stored by its SHA-256. */
    private ApiResponse uploadBundle(ApiRequest request) throws Exception {
        Account buyer = authenticate(request);
        String media = request.contentType() == null ? "" : request.contentType().split(";")[0].strip().toLowerCase(Locale.ROOT);
        if (!media.equals("application/java-archive")) {
            throw new ApiException(415, media.isEmpty() ? "missing Content-Type: send the jar as application/java-archive"
                    : "Content-Type must be application/java-archive, not " + quoted(media));
        }
        StoredBundle stored = service(repository).store(buyer, request.body());
        return Json.ok(stored.added() ? 201 : 200, bundle(stored));
    }

    private ApiResponse listBundles(ApiRequest request) throws Exception {
        Account buyer = authenticate(request);
        if (buyer.kind() != AccountKind.BUYER) {
            throw new ApiException(403, "only buyers have bundles (this token is a " + buyer.kind().code() + "'s)");
        }
        ObjectNode answer = Json.object();
        ArrayNode list = answer.putArray("bundles");
        for (StoredBundle stored : service(repository).bundlesOf(buyer)) {
            list.add(bundle(stored));
        }
        return Json.ok(200, answer);
    }

    /** The jar, for its buyer (token) or a host holding a running lease of it (its TLS client certificate). */
    private ApiResponse downloadBundle(ApiRequest request) throws Exception {
        Matcher path = BUNDLE_PATH.matcher(request.path());
        if (!path.matches()) {
            throw new ApiException(404, "no route " + request.path());
        }
        String sha256 = path.group(1);
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw new ApiException(400, "a bundle is named by its SHA-256 (64 lowercase hex digits), not " + quoted(sha256));
        }
        String notFound = "no bundle " + sha256 + " for you";
        if (request.authorization() != null || request.clientCertificate() == null) {
            Account account = authenticate(request);
            Optional<StoredBundle> stored = service(repository).find(sha256);
            if (stored.isEmpty() || !stored.get().buyerId().equals(account.id())) {
                throw new ApiException(404, notFound);
            }
        } else {
            String hostId = commonNameOf(request.clientCertificate());
            if (hostId == null) {
                throw new ApiException(403, "the client certificate names no host");
            }
            service(hosts).authenticate(hostId, request.clientCertificate());
            if (!service(leases).holdsBundle(hostId, sha256)) {
                throw new ApiException(404, notFound + ": host " + hostId + " holds no running lease of it");
            }
        }
        Optional<byte[]> jar = service(repository).content(sha256);
        if (jar.isEmpty()) {
            throw new ApiException(404, notFound);
        }
        return new ApiResponse(200, "application/java-archive", jar.get(), Map.of(), false);
    }

    /** The certificate subject's single CN (a host id for host certificates), or null. */
    static String commonNameOf(java.security.cert.X509Certificate certificate) {
        try {
            List<String> names = new ArrayList<>();
            for (javax.naming.ldap.Rdn rdn : new javax.naming.ldap.LdapName(
                    certificate.getSubjectX500Principal().getName(javax.security.auth.x500.X500Principal.RFC2253)).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    names.add(String.valueOf(rdn.getValue()));
                }
            }
            return names.size() == 1 ? names.get(0) : null;
        } catch (javax.naming.InvalidNameException e) {
            return null;
        }
    }

    private static ObjectNode bundle(StoredBundle stored) {
        return Json.object().put("sha256", stored.sha256()).put("symbolicName", stored.symbolicName())
                .put("version", stored.version()).put("size", stored.size()).put("uploaded", stored.uploaded().toString());
    }

    // ------------------------------------------------------------------ leases

    private ApiResponse grantLeases(ApiRequest request) throws Exception {
        Account buyer = authenticate(request);
        ObjectNode body = jsonObject(request, true, "bundle", "hosts", "seconds", "cpuShare", "memoryBytes",
                "storageBytes", "bandwidthBytesPerSecond", "maxPricePerHourMicros", "category", "excludeHosts");
        String bundle = requiredString(body, "bundle");
        long count = wholeNumber(body, "hosts", "hosts", true, 1);
        if (count > 100) {
            throw new ApiException(400, "field 'hosts' must be 1 to 100, not " + count);
        }
        long seconds = wholeNumber(body, "seconds", "seconds", true, 1);
        JsonNode cpu = body.get("cpuShare");
        if (cpu == null || !cpu.isNumber()) {
            throw new ApiException(400, cpu == null ? "missing field 'cpuShare'"
                    : "field 'cpuShare' must be a number, not " + typeOf(cpu));
        }
        long memory = wholeNumber(body, "memoryBytes", "memoryBytes", true, 0);
        long storage = wholeNumber(body, "storageBytes", "storageBytes", true, 0);
        long bandwidth = wholeNumber(body, "bandwidthBytesPerSecond", "bandwidthBytesPerSecond", true, 0);
        Long maxPrice = body.hasNonNull("maxPricePerHourMicros")
                ? wholeNumber(body, "maxPricePerHourMicros", "maxPricePerHourMicros", true, 0) : null;
        String category = optionalText(body, "category", "category");
        List<String> exclude = new ArrayList<>();
        JsonNode excluded = body.get("excludeHosts");
        if (excluded != null && !excluded.isNull()) {
            if (!excluded.isArray()) {
                throw new ApiException(400, "field 'excludeHosts' must be an array of host ids, not " + typeOf(excluded));
            }
            for (JsonNode host : excluded) {
                if (!host.isTextual()) {
                    throw new ApiException(400, "field 'excludeHosts' must hold host ids (strings), not " + typeOf(host));
                }
                exclude.add(host.textValue());
            }
        }
        List<Lease> granted = service(leases).grant(buyer, new LeaseRequest(bundle, (int) count, seconds,
                cpu.doubleValue(), memory, storage, bandwidth, maxPrice, category, exclude));
        ObjectNode answer = Json.object();
        ArrayNode list = answer.putArray("leases");
        granted.forEach(lease -> list.add(lease(lease)));
        return Json.ok(201, answer);
    }

    private ApiResponse listLeases(ApiRequest request) throws Exception {
        Account account = authenticate(request);
        List<String> states = request.query().get("state");
        for (String name : request.query().keySet()) {
            if (!name.equals("state")) {
                throw new ApiException(400, "unknown query parameter " + quoted(name) + " (allowed: state)");
            }
        }
        if (states != null && states.size() > 1) {
            throw new ApiException(400, "query parameter 'state' given more than once");
        }
        ObjectNode answer = Json.object();
        ArrayNode list = answer.putArray("leases");
        service(leases).leasesOf(account, states == null ? null : states.get(0)).forEach(lease -> list.add(lease(lease)));
        return Json.ok(200, answer);
    }

    private ApiResponse getLease(ApiRequest request) throws Exception {
        Account account = authenticate(request);
        return Json.ok(200, lease(service(leases).lease(account, pathId(LEASE_PATH, request))));
    }

    private ApiResponse releaseLease(ApiRequest request) throws Exception {
        Account buyer = authenticate(request);
        if (request.body().length > 0) {
            throw new ApiException(400, "DELETE /v1/leases/{id} takes no request body");
        }
        return Json.ok(200, lease(service(leases).release(buyer, pathId(LEASE_PATH, request))));
    }

    private ApiResponse renewLease(ApiRequest request) throws Exception {
        Account buyer = authenticate(request);
        ObjectNode body = jsonObject(request, true, "seconds");
        long seconds = wholeNumber(body, "seconds", "seconds", true, 1);
        return Json.ok(200, lease(service(leases).renew(buyer, pathId(RENEW_PATH, request), seconds)));
    }

    private static String pathId(Pattern pattern, ApiRequest request) throws ApiException {
        Matcher path = pattern.matcher(request.path());
        if (!path.matches()) {
            throw new ApiException(404, "no route " + request.path());
        }
        return path.group(1);
    }

    private static ObjectNode lease(Lease lease) {
        return Json.object().put("id", lease.id()).put("buyer", lease.buyer()).put("hostId", lease.hostId())
                .put("ownerId", lease.ownerId()).put("bundle", lease.bundle()).put("app", lease.app())
                .put("state", lease.state()).put("reason", lease.reason()).put("category", lease.category())
                .put("cpuShare", lease.cpuShare()).put("memoryBytes", lease.memoryBytes())
                .put("storageBytes", lease.storageBytes()).put("bandwidthBytesPerSecond", lease.bandwidthBytesPerSecond())
                .put("pricePerHourMicros", lease.pricePerHourMicros()).put("created", lease.created().toString())
                .put("expiry", lease.expiry().toString())
                .put("ended", lease.ended() == null ? null : lease.ended().toString())
                .put("transportAddress", lease.transportAddress());
    }

    // ------------------------------------------------------------------ bank

    private ApiResponse deposit(ApiRequest request) throws Exception {
        return transfer(request, "deposit");
    }

    private ApiResponse withdraw(ApiRequest request) throws Exception {
        return transfer(request, "withdrawal");
    }

    /**
     * A deposit or withdrawal: {@code {"amountMicros": n, "id": "client-chosen"?}}. The bank's transfer id is
     * {@code <kind>:<account>:<id>}, so a client's ids never collide with another account's, and the same id
     * posted again moves nothing and answers the first posting.
     */
    private ApiResponse transfer(ApiRequest request, String kind) throws Exception {
        Account account = authenticate(request);
        ObjectNode body = jsonObject(request, true, "amountMicros", "id");
        long amount = wholeNumber(body, "amountMicros", "amountMicros", true, 1);
        String id = optionalText(body, "id", "id");
        if (id == null) {
            id = UUID.randomUUID().toString();
        } else if (!id.matches("[A-Za-z0-9._:-]{1,100}")) {
            throw new ApiException(400, "field 'id' must be 1 to 100 letters, digits or . _ : -");
        }
        String transferId = kind + ":" + account.id() + ":" + id;
        Transfer transfer = kind.equals("deposit") ? service(bank).deposit(transferId, account.id(), amount)
                : service(bank).withdraw(transferId, account.id(), amount);
        return Json.ok(201, Json.object().put("id", id).put("kind", transfer.kind())
                .put("amountMicros", transfer.amountMicros()).put("posted", transfer.posted().toString())
                .put("repeated", transfer.repeated()));
    }

    private ApiResponse balance(ApiRequest request) throws Exception {
        Account account = authenticate(request);
        noQuery(request);
        Balance balance = service(bank).balance(account.id());
        return Json.ok(200, Json.object().put("account", account.id()).put("availableMicros", balance.availableMicros())
                .put("heldMicros", balance.heldMicros()));
    }

    private ApiResponse ledger(ApiRequest request) throws Exception {
        Account account = authenticate(request);
        int limit = 100;
        for (Map.Entry<String, List<String>> parameter : request.query().entrySet()) {
            if (!parameter.getKey().equals("limit")) {
                throw new ApiException(400, "unknown query parameter " + quoted(parameter.getKey()) + " (allowed: limit)");
            }
            String value = parameter.getValue().get(parameter.getValue().size() - 1);
            try {
                limit = Integer.parseInt(value);
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > 1000) {
                throw new ApiException(400, "query parameter 'limit' must be 1 to 1000, not " + quoted(value));
            }
        }
        ObjectNode answer = Json.object();
        ArrayNode entries = answer.putArray("entries");
        for (LedgerEntry entry : service(bank).ledger(account.id(), limit)) {
            entries.addObject().put("transferId", entry.transferId()).put("kind", entry.kind())
                    .put("ledgerAccount", entry.ledgerAccount()).put("amountMicros", entry.amountMicros())
                    .put("memo", entry.memo()).put("posted", entry.posted().toString());
        }
        return Json.ok(200, answer);
    }

    private ApiResponse totals(ApiRequest request) throws Exception {
        authenticate(request);
        noQuery(request);
        LedgerTotals totals = service(bank).totals();
        return Json.ok(200, Json.object().put("depositsMicros", totals.depositsMicros())
                .put("withdrawalsMicros", totals.withdrawalsMicros())
                .put("sumOfAccountsMicros", totals.sumOfAccountsMicros()).put("feesMicros", totals.feesMicros())
                .put("balanced", totals.balanced()));
    }

    private static void noQuery(ApiRequest request) throws ApiException {
        if (!request.query().isEmpty()) {
            throw new ApiException(400, request.path() + " takes no query parameters");
        }
    }

    /** A service the routes need; absent only where a test built the routes without it. */
    private static <S> S service(S service) throws ApiException {
        if (service == null) {
            throw new ApiException(503, "this server does not offer that service");
        }
        return service;
    }

    private static String requiredText(JsonNode node, String field, String name) throws ApiException {
        JsonNode value = node.get(field);
        if (value == null) {
            throw new ApiException(400, "missing field '" + name + "'");
        }
        if (!value.isTextual()) {
            throw new ApiException(400, "field '" + name + "' must be a string, not " + typeOf(value));
        }
        return value.textValue();
    }

    private static String optionalText(JsonNode node, String field, String name) throws ApiException {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new ApiException(400, "field '" + name + "' must be a string, not " + typeOf(value));
        }
        return value.textValue();
    }

    /** A whole number field of at least {@code min}. */
    private static long wholeNumber(JsonNode node, String field, String name, boolean required, long min)
            throws ApiException {
        JsonNode value = node.get(field);
        if (value == null || value.isNull() && !required) {
            if (required) {
                throw new ApiException(400, "missing field '" + name + "'");
            }
            return min;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong() || value.longValue() < min) {
            throw new ApiException(400, "field '" + name + "' must be a whole number >= " + min + ", not "
                    + (value.isNumber() ? value.asText() : typeOf(value)));
        }
        return value.longValue();
    }

    private static java.time.Instant instant(JsonNode node, String field, String name) throws ApiException {
        String text = requiredText(node, field, name);
        try {
            return java.time.Instant.parse(text);
        } catch (java.time.format.DateTimeParseException e) {
            throw new ApiException(400, "field '" + name + "' must be an ISO-8601 instant (e.g. 2026-01-01T00:00:00Z), not "
                    + quoted(text));
        }
    }

    // ------------------------------------------------------------------ validation

    private Account authenticate(ApiRequest request) throws Exception {
        Optional<Account> account = accounts.authenticate(bearer(request));
        if (account.isEmpty()) {
            throw new ApiException(401, "invalid or revoked token", INVALID_TOKEN);
        }
        return account.get();
    }

    private static String bearer(ApiRequest request) throws ApiException {
        String header = request.authorization();
        if (header == null || header.isBlank()) {
            throw new ApiException(401, "missing Authorization header: send 'Authorization: Bearer <token>'",
                    BEARER_CHALLENGE);
        }
        String[] parts = header.strip().split(" +", 2);
        if (parts.length != 2 || !parts[0].equalsIgnoreCase("Bearer") || parts[1].isBlank()) {
            throw new ApiException(401, "Authorization header must be 'Bearer <token>'", BEARER_CHALLENGE);
        }
        return parts[1].strip();
    }

    /**
     * The body as a JSON object with no fields but {@code allowed}; with {@code required} false an empty
     * body is an empty object.
     */
    private static ObjectNode jsonObject(ApiRequest request, boolean required, String... allowed)
            throws ApiException {
        if (request.body().length == 0 && !required) {
            return Json.object();
        }
        checkContentType(request.contentType());
        if (request.body().length == 0) {
            throw new ApiException(400, "request body is empty: expected a JSON object");
        }
        JsonNode tree;
        try {
            tree = Json.MAPPER.readTree(request.body());
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            String what = e.getOriginalMessage() == null ? "" : ": " + jacksonMessage(e.getOriginalMessage());
            throw new ApiException(400, "malformed JSON" + where + what);
        } catch (java.io.IOException e) {
            throw new ApiException(400, "malformed JSON: " + firstLine(String.valueOf(e.getMessage())));
        }
        if (tree == null || tree.isMissingNode()) {
            throw new ApiException(400, "request body is empty: expected a JSON object");
        }
        if (!tree.isObject()) {
            throw new ApiException(400, "request body must be a JSON object, not " + typeOf(tree));
        }
        List<String> known = List.of(allowed);
        for (Iterator<String> names = tree.fieldNames(); names.hasNext();) {
            String name = names.next();
            if (!known.contains(name)) {
                throw new ApiException(400, "unknown field " + quoted(name)
                        + (known.isEmpty() ? ": this request takes none" : " (allowed: " + String.join(", ", known) + ")"));
            }
        }
        return (ObjectNode) tree;
    }

    private static void checkContentType(String contentType) throws ApiException {
        if (contentType == null || contentType.isBlank()) {
            throw new ApiException(415, "missing Content-Type: send application/json");
        }
        String[] parts = contentType.split(";");
        String media = parts[0].strip().toLowerCase(Locale.ROOT);
        if (!media.equals("application/json")) {
            throw new ApiException(415, "Content-Type must be application/json, not " + quoted(media));
        }
        for (int i = 1; i < parts.length; i++) {
            String[] parameter = parts[i].split("=", 2);
            if (parameter[0].strip().equalsIgnoreCase("charset") && parameter.length == 2
                    && !parameter[1].strip().replace("\"", "").equalsIgnoreCase("utf-8")) {
                throw new ApiException(415, "JSON must be UTF-8, not charset " + quoted(parameter[1].strip()));
            }
        }
    }

    private static String requiredString(ObjectNode body, String field) throws ApiException {
        JsonNode value = body.get(field);
        if (value == null) {
            throw new ApiException(400, "missing field '" + field + "'");
        }
        if (!value.isTextual()) {
            throw new ApiException(400, "field '" + field + "' must be a string, not " + typeOf(value));
        }
        return value.textValue();
    }

    private static ObjectNode account(Account account) {
        return Json.object().put("id", account.id()).put("kind", account.kind().code()).put("name", account.name())
                .put("created", account.created().toString());
    }

    private static String typeOf(JsonNode node) {
        JsonNodeType type = node.getNodeType();
        return switch (type) {
            case ARRAY -> "an array";
            case OBJECT, POJO -> "an object";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            case STRING -> "a string";
            default -> type.name().toLowerCase(Locale.ROOT);
        };
    }

    /** A value quoted for a message, cut short and without control characters. */
    private static String quoted(String value) {
        String cut = value.length() > 40 ? value.substring(0, 40) + "…" : value;
        return "\"" + cut.replaceAll("\\p{Cntrl}", "?") + "\"";
    }

    /** Jackson's message without its class names and source notes. */
    private static String jacksonMessage(String message) {
        if (message.startsWith("Trailing token")) {
            return "more content after the JSON value";
        }
        return firstLine(message).replaceAll("\\[Source: [^;\\]]*; ", "[");
    }

    private static String firstLine(String message) {
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
