package org.isos.server.http;

import java.nio.charset.StandardCharsets;
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
import org.isos.server.hosts.EnrolledHost;
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
    private final String caPemText;
    private final byte[] caPem;
    private final byte[] openApi;
    private final int heartbeatSeconds;
    static final String HEARTBEAT_ROUTE = "/v1/hosts/{hostId}/heartbeat";
    private static final Pattern HEARTBEAT_PATH = Pattern.compile("/v1/hosts/([A-Za-z0-9._-]{1,100})/heartbeat");
    /** path → method → endpoint; paths are matched exactly, but for {@link #HEARTBEAT_ROUTE}'s pattern. */
    private final Map<String, Map<String, Endpoint>> routes = new LinkedHashMap<>();

    ApiRoutes(Accounts accounts, String caPem, byte[] openApi) {
        this(accounts, null, caPem, openApi);
    }

    ApiRoutes(Accounts accounts, Hosts hosts, String caPem, byte[] openApi) {
        this(accounts, hosts, caPem, openApi, 30);
    }

    ApiRoutes(Accounts accounts, Hosts hosts, String caPem, byte[] openApi, int heartbeatSeconds) {
        this.heartbeatSeconds = heartbeatSeconds;
        this.accounts = accounts;
        this.hosts = hosts;
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
            Map<String, Endpoint> methods = routes.get(HEARTBEAT_PATH.matcher(request.path()).matches()
                    ? HEARTBEAT_ROUTE : request.path());
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
            } else {
                item.put("suspended", reported.suspended()).put("suspendedReason", reported.reason())
                        .put("apps", reported.apps());
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
            if (!List.of("suspended", "reason", "apps").contains(name)) {
                throw new ApiException(400, "unknown field \"status." + name + "\" (allowed: suspended, reason, apps)");
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
        ReportedStatus reported = new ReportedStatus(suspended.booleanValue(),
                reason == null || reason.isNull() ? null : reason.textValue(), apps.intValue());
        Heartbeat beat = hosts.heartbeat(hostId, request.clientCertificate(), Json.MAPPER.writeValueAsString(description),
                reported);
        ObjectNode answer = Json.object().put("serverTime", beat.serverTime().toString())
                .put("nextHeartbeatSeconds", heartbeatSeconds);
        ArrayNode revoked = answer.putArray("revokedSerials");
        for (Revocation revocation : beat.revoked()) {
            revoked.add(revocation.serial());
        }
        return Json.ok(200, answer);
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
