package org.isos.server.http;

import static org.isos.server.http.RequestChecks.*;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import org.isos.server.accounts.Account;
import org.isos.server.accounts.Accounts;
import org.isos.server.leases.Lease;
import org.isos.server.leases.LeaseRequest;
import org.isos.server.leases.Leases;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Leases as a buyer sees them: ask for hosts, list, renew, release (owners list the leases on their hosts).
 */
final class LeaseRoutes {

    static final String LEASE_ROUTE = "/v1/leases/{id}";
    static final Pattern LEASE_PATH = Pattern.compile("/v1/leases/([A-Za-z0-9._-]{1,100})");
    static final String RENEW_ROUTE = "/v1/leases/{id}/renew";
    static final Pattern RENEW_PATH = Pattern.compile("/v1/leases/([A-Za-z0-9._-]{1,100})/renew");

    private final Accounts accounts;
    private final Leases leases;

    LeaseRoutes(Accounts accounts, Leases leases) {
        this.accounts = accounts;
        this.leases = leases;
    }

    void addTo(ApiRoutes routes) {
        routes.pattern(LEASE_PATH, LEASE_ROUTE);
        routes.pattern(RENEW_PATH, RENEW_ROUTE);
        routes.route("POST", "/v1/leases", this::grantLeases);
        routes.route("GET", "/v1/leases", this::listLeases);
        routes.route("GET", LEASE_ROUTE, this::getLease);
        routes.route("DELETE", LEASE_ROUTE, this::releaseLease);
        routes.route("POST", RENEW_ROUTE, this::renewLease);
    }

    private ApiResponse grantLeases(ApiRequest request) throws Exception {
        Account buyer = authenticate(accounts, request);
        ObjectNode body = jsonObject(request, true, "bundle", "hosts", "seconds", "cpuShare", "memoryBytes",
                "storageBytes", "bandwidthBytesPerSecond", "maxPricePerHourMicros", "category", "excludeHosts",
                "minAvailability", "window");
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
        JsonNode availability = body.get("minAvailability");
        Double minAvailability = null;
        if (availability != null && !availability.isNull()) {
            if (!availability.isNumber() || !(availability.doubleValue() >= 0 && availability.doubleValue() <= 1)) {
                throw new ApiException(400, "field 'minAvailability' must be a number from 0 to 1 (the share of time "
                        + "a host was online and not suspended), not " + (availability.isNumber() ? availability.asText()
                                : typeOf(availability)));
            }
            minAvailability = availability.doubleValue();
        }
        String window = optionalText(body, "window", "window");
        if (window != null) {
            try {
                org.isos.server.hosts.DailyHours.minutes(window);
            } catch (IllegalArgumentException e) {
                throw new ApiException(400, "field 'window' (daily UTC hours the app must be able to run): "
                        + e.getMessage());
            }
        }
        List<Lease> granted = service(leases).grant(buyer, new LeaseRequest(bundle, (int) count, seconds,
                cpu.doubleValue(), memory, storage, bandwidth, maxPrice, category, exclude, minAvailability, window));
        ObjectNode answer = Json.object();
        ArrayNode list = answer.putArray("leases");
        granted.forEach(lease -> list.add(lease(lease)));
        return Json.ok(201, answer);
    }

    private ApiResponse listLeases(ApiRequest request) throws Exception {
        Account account = authenticate(accounts, request);
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
        Account account = authenticate(accounts, request);
        return Json.ok(200, lease(service(leases).lease(account, pathId(LEASE_PATH, request))));
    }

    private ApiResponse releaseLease(ApiRequest request) throws Exception {
        Account buyer = authenticate(accounts, request);
        if (request.body().length > 0) {
            throw new ApiException(400, "DELETE /v1/leases/{id} takes no request body");
        }
        return Json.ok(200, lease(service(leases).release(buyer, pathId(LEASE_PATH, request))));
    }

    private ApiResponse renewLease(ApiRequest request) throws Exception {
        Account buyer = authenticate(accounts, request);
        ObjectNode body = jsonObject(request, true, "seconds");
        long seconds = wholeNumber(body, "seconds", "seconds", true, 1);
        return Json.ok(200, lease(service(leases).renew(buyer, pathId(RENEW_PATH, request), seconds)));
    }

    static ObjectNode lease(Lease lease) {
        return Json.object().put("id", lease.id()).put("buyer", lease.buyer()).put("hostId", lease.hostId())
                .put("ownerId", lease.ownerId()).put("bundle", lease.bundle()).put("app", lease.app())
                .put("state", lease.state()).put("reason", lease.reason()).put("category", lease.category())
                .put("cpuShare", lease.cpuShare()).put("memoryBytes", lease.memoryBytes())
                .put("storageBytes", lease.storageBytes()).put("bandwidthBytesPerSecond", lease.bandwidthBytesPerSecond())
                .put("pricePerHourMicros", lease.pricePerHourMicros()).put("created", lease.created().toString())
                .put("expiry", lease.expiry().toString())
                .put("ended", lease.ended() == null ? null : lease.ended().toString())
                .put("transportAddress", lease.transportAddress()).put("runningBundle", lease.runningBundle())
                .put("updateReason", lease.updateReason());
    }
}
