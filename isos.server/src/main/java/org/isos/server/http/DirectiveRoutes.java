package org.isos.server.http;

import static org.isos.server.http.RequestChecks.*;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import org.isos.server.accounts.Account;
import org.isos.server.accounts.Accounts;
import org.isos.server.directives.DirectiveRefused;
import org.isos.server.directives.HostDirective;
import org.isos.server.directives.HostDirectives;
import org.isos.server.hosts.HostPolicy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What an owner directs its hosts to do (the web console's policy editor and pause button): set the usage
 * policy the agent runs under, pause and resume ISOS work. The agent gets the directive with its next
 * heartbeat answer ({@link #heartbeatField}) and reports the policy it then runs in the heartbeat after.
 */
final class DirectiveRoutes {

    static final String POLICY_ROUTE = "/v1/hosts/{hostId}/policy";
    static final Pattern POLICY_PATH = Pattern.compile("/v1/hosts/([A-Za-z0-9._-]{1,100})/policy");
    static final String PAUSE_ROUTE = "/v1/hosts/{hostId}/pause";
    static final Pattern PAUSE_PATH = Pattern.compile("/v1/hosts/([A-Za-z0-9._-]{1,100})/pause");
    static final String RESUME_ROUTE = "/v1/hosts/{hostId}/resume";
    static final Pattern RESUME_PATH = Pattern.compile("/v1/hosts/([A-Za-z0-9._-]{1,100})/resume");
    static final List<String> POLICY_FIELDS = List.of("maxCpuShare", "storageQuotaBytes", "bandwidthCapBytesPerSecond",
            "acceptedCategories", "minimumPricePerHourMicros");

    private final Accounts accounts;
    private final HostDirectives directives;

    DirectiveRoutes(Accounts accounts, HostDirectives directives) {
        this.accounts = accounts;
        this.directives = directives;
    }

    void addTo(ApiRoutes routes) {
        routes.pattern(POLICY_PATH, POLICY_ROUTE);
        routes.pattern(PAUSE_PATH, PAUSE_ROUTE);
        routes.pattern(RESUME_PATH, RESUME_ROUTE);
        routes.route("PUT", POLICY_ROUTE, this::setPolicy);
        routes.route("POST", PAUSE_ROUTE, r -> pause(r, PAUSE_PATH, true));
        routes.route("POST", RESUME_ROUTE, r -> pause(r, RESUME_PATH, false));
        routes.route("GET", "/v1/directives", this::list);
    }

    private ApiResponse setPolicy(ApiRequest request) throws Exception {
        String hostId = pathId(POLICY_PATH, request);
        Account owner = authenticate(accounts, request);
        noQuery(request);
        HostPolicy policy = policy(jsonObject(request, true, POLICY_FIELDS.toArray(String[]::new)));
        try {
            return Json.ok(200, json(service(directives).setPolicy(owner, hostId, policy)));
        } catch (DirectiveRefused e) {
            throw refusal(e);
        }
    }

    private ApiResponse pause(ApiRequest request, Pattern path, boolean paused) throws Exception {
        String hostId = pathId(path, request);
        Account owner = authenticate(accounts, request);
        noQuery(request);
        jsonObject(request, false);
        try {
            return Json.ok(200, json(service(directives).pause(owner, hostId, paused)));
        } catch (DirectiveRefused e) {
            throw refusal(e);
        }
    }

    private ApiResponse list(ApiRequest request) throws Exception {
        Account owner = authenticate(accounts, request);
        noQuery(request);
        ObjectNode answer = Json.object();
        ArrayNode list = answer.putArray("directives");
        try {
            for (HostDirective d : service(directives).directivesOf(owner)) {
                list.add(json(d));
            }
        } catch (DirectiveRefused e) {
            throw refusal(e);
        }
        return Json.ok(200, answer);
    }

    /**
     * The policy in a request, checked as the agent checks its {@code UsagePolicy}: every field required,
     * CPU share of the machine in (0, 1], bandwidth above 0, the lease categories the server knows.
     */
    static HostPolicy policy(ObjectNode body) throws ApiException {
        JsonNode cpu = body.get("maxCpuShare");
        if (cpu == null || !cpu.isNumber() || !(cpu.doubleValue() > 0) || cpu.doubleValue() > 1) {
            throw new ApiException(400, cpu == null ? "missing field 'maxCpuShare'"
                    : "field 'maxCpuShare' must be a number more than 0 and at most 1 (a share of the machine's CPU), not "
                            + (cpu.isNumber() ? cpu.asText() : typeOf(cpu)));
        }
        long storage = wholeNumber(body, "storageQuotaBytes", "storageQuotaBytes", true, 0);
        long bandwidth = wholeNumber(body, "bandwidthCapBytesPerSecond", "bandwidthCapBytesPerSecond", true, 1);
        long reserve = wholeNumber(body, "minimumPricePerHourMicros", "minimumPricePerHourMicros", true, 0);
        JsonNode categories = body.get("acceptedCategories");
        if (categories == null || !categories.isArray()) {
            throw new ApiException(400, categories == null ? "missing field 'acceptedCategories'"
                    : "field 'acceptedCategories' must be an array, not " + typeOf(categories));
        }
        Set<String> accepted = new LinkedHashSet<>();
        for (JsonNode category : categories) {
            if (!category.isTextual() || !HostPolicy.CATEGORIES.contains(category.textValue())) {
                throw new ApiException(400, "field 'acceptedCategories' may hold only \"compute\", \"storage\" and "
                        + "\"streaming\", not " + (category.isTextual() ? quoted(category.textValue()) : typeOf(category)));
            }
            accepted.add(category.textValue());
        }
        if (accepted.isEmpty()) {
            throw new ApiException(400, "field 'acceptedCategories' must name at least one of \"compute\", \"storage\", "
                    + "\"streaming\" (to take no leases at all, pause the host)");
        }
        return new HostPolicy(cpu.doubleValue(), storage, bandwidth, accepted, reserve);
    }

    static ObjectNode json(HostDirective d) {
        ObjectNode o = Json.object().put("hostId", d.hostId()).put("revision", d.revision()).put("paused", d.paused());
        o.set("policy", policyJson(d.policy()));
        o.put("updated", d.updated() == null ? null : d.updated().toString());
        return o;
    }

    /** The heartbeat answer's {@code directives}: {@code {"policy": {...}|null, "paused": bool, "revision": n}}. */
    static ObjectNode heartbeatField(HostDirective d) {
        ObjectNode o = Json.object();
        o.set("policy", policyJson(d.policy()));
        return o.put("paused", d.paused()).put("revision", d.revision());
    }

    private static JsonNode policyJson(HostPolicy policy) {
        if (policy == null) {
            return Json.MAPPER.nullNode();
        }
        ObjectNode p = Json.object().put("maxCpuShare", policy.maxCpuShare())
                .put("storageQuotaBytes", policy.storageQuotaBytes())
                .put("bandwidthCapBytesPerSecond", policy.bandwidthCapBytesPerSecond());
        ArrayNode categories = p.putArray("acceptedCategories");
        new TreeSet<>(policy.acceptedCategories()).forEach(categories::add);
        return p.put("minimumPricePerHourMicros", policy.minimumPricePerHourMicros());
    }

    private static ApiException refusal(DirectiveRefused e) {
        int status = switch (e.reason()) {
            case NOT_AN_OWNER -> 403;
            case NOT_FOUND -> 404;
            case BAD_REQUEST -> 400;
        };
        return new ApiException(status, e.getMessage());
    }
}
