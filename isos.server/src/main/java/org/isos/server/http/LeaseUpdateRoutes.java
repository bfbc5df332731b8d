package org.isos.server.http;

import static org.isos.server.http.RequestChecks.*;

import java.util.regex.Pattern;

import org.isos.server.accounts.Account;
import org.isos.server.accounts.Accounts;
import org.isos.server.leases.LeaseReport;
import org.isos.server.leases.Leases;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Hot-swap: a buyer asks a running lease's host to run another version of the app in place
 * ({@code POST /v1/leases/{id}/bundle}); hosts say in their heartbeats which bundle they run and which update they
 * refused (read here so that {@link HostRoutes} keeps one line for it).
 */
final class LeaseUpdateRoutes {

    static final String BUNDLE_ROUTE = "/v1/leases/{id}/bundle";
    static final Pattern BUNDLE_PATH = Pattern.compile("/v1/leases/([A-Za-z0-9._-]{1,100})/bundle");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    private final Accounts accounts;
    private final Leases leases;

    LeaseUpdateRoutes(Accounts accounts, Leases leases) {
        this.accounts = accounts;
        this.leases = leases;
    }

    void addTo(ApiRoutes routes) {
        routes.pattern(BUNDLE_PATH, BUNDLE_ROUTE);
        routes.route("POST", BUNDLE_ROUTE, this::updateBundle);
    }

    private ApiResponse updateBundle(ApiRequest request) throws Exception {
        Account buyer = authenticate(accounts, request);
        ObjectNode body = jsonObject(request, true, "bundle");
        String bundle = requiredText(body, "bundle", "bundle");
        if (!SHA256.matcher(bundle).matches()) {
            throw new ApiException(400, "field 'bundle' must be the bundle's SHA-256 (64 lowercase hex digits), not "
                    + quoted(bundle));
        }
        return Json.ok(200, LeaseRoutes.lease(service(leases).updateBundle(buyer, pathId(BUNDLE_PATH, request), bundle)));
    }

    /** {@code status.leases[i]}'s optional bundle fields added to {@code report}. */
    static LeaseReport withBundle(LeaseReport report, JsonNode item, String at) throws ApiException {
        String running = digest(item, "bundleSha256", at);
        String refused = digest(item, "refusedBundleSha256", at);
        String why = optionalText(item, "updateRefused", at + ".updateRefused");
        if (why != null && why.length() > 1000) {
            throw new ApiException(400, "field '" + at + ".updateRefused' is longer than 1000 characters");
        }
        if ((refused == null) != (why == null)) {
            throw new ApiException(400, "fields '" + at + ".refusedBundleSha256' and '" + at
                    + ".updateRefused' come together (the update refused and why)");
        }
        return new LeaseReport(report.leaseId(), report.state(), report.reason(), running, refused, why);
    }

    private static String digest(JsonNode item, String field, String at) throws ApiException {
        String value = optionalText(item, field, at + "." + field);
        if (value != null && !SHA256.matcher(value).matches()) {
            throw new ApiException(400, "field '" + at + "." + field
                    + "' must be a SHA-256 (64 lowercase hex digits), not " + quoted(value));
        }
        return value;
    }
}
