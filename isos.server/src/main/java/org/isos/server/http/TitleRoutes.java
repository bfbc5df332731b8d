package org.isos.server.http;

import static org.isos.server.http.RequestChecks.*;

import java.time.Clock;
import java.util.Map;
import java.util.regex.Pattern;

import org.isos.server.accounts.Account;
import org.isos.server.accounts.Accounts;
import org.isos.server.ca.CertificateAuthority;
import org.isos.server.titles.Title;
import org.isos.server.titles.TitleRefused;
import org.isos.server.titles.Titles;
import org.isos.server.titles.View;
import org.isos.server.titles.ViewTickets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Streaming titles: a provider publishes one (its manifest and price per view), anyone lists them, a viewer buys a
 * view (charged once per view id) and gets the manifest to play it with and a view ticket (signed by the CA) that the
 * title's hosts want before they serve a fragment.
 */
final class TitleRoutes {

    static final String TITLE_ROUTE = "/v1/titles/{name}";
    static final Pattern TITLE_PATH = Pattern.compile("/v1/titles/([A-Za-z0-9._-]{1,100})");
    static final String VIEWS_ROUTE = "/v1/titles/{name}/views";
    static final Pattern VIEWS_PATH = Pattern.compile("/v1/titles/([A-Za-z0-9._-]{1,100})/views");

    private final Accounts accounts;
    private final Titles titles;
    /** Signs the view tickets the title's hosts check; null (tests of one part) answers views 503. */
    private final ViewTickets tickets;

    TitleRoutes(Accounts accounts, Titles titles, CertificateAuthority ca) {
        this.accounts = accounts;
        this.titles = titles;
        this.tickets = ca == null ? null : new ViewTickets(ca, Clock.systemUTC());
    }

    void addTo(ApiRoutes routes) {
        routes.pattern(TITLE_PATH, TITLE_ROUTE);
        routes.pattern(VIEWS_PATH, VIEWS_ROUTE);
        routes.route("POST", "/v1/titles", refusals(this::publish));
        routes.route("GET", "/v1/titles", refusals(this::list));
        routes.route("GET", TITLE_ROUTE, refusals(this::get));
        routes.route("POST", VIEWS_ROUTE, refusals(this::buyView));
    }

    private ApiResponse publish(ApiRequest request) throws Exception {
        Account provider = authenticate(accounts, request);
        ObjectNode body = jsonObject(request, true, "name", "manifest", "pricePerViewMicros");
        String name = requiredString(body, "name");
        JsonNode manifest = body.get("manifest");
        if (manifest == null || !manifest.isObject()) {
            throw new ApiException(400, manifest == null ? "missing field 'manifest'"
                    : "field 'manifest' must be the publisher's manifest (a JSON object), not " + typeOf(manifest));
        }
        long price = wholeNumber(body, "pricePerViewMicros", "pricePerViewMicros", true, 0);
        Title title = service(titles).publish(provider, name, Json.MAPPER.writeValueAsString(manifest), price);
        return Json.ok(title.created().equals(title.updated()) ? 201 : 200, title(title));
    }

    private ApiResponse list(ApiRequest request) throws Exception {
        authenticate(accounts, request);
        noQuery(request);
        ObjectNode answer = Json.object();
        ArrayNode list = answer.putArray("titles");
        for (Title title : service(titles).titles()) {
            list.add(title(title));
        }
        return Json.ok(200, answer);
    }

    private ApiResponse get(ApiRequest request) throws Exception {
        Account asker = authenticate(accounts, request);
        noQuery(request);
        return Json.ok(200, title(service(titles).title(asker, pathId(TITLE_PATH, request))));
    }

    private ApiResponse buyView(ApiRequest request) throws Exception {
        Account viewer = authenticate(accounts, request);
        ObjectNode body = jsonObject(request, false, "id");
        String id = optionalText(body, "id", "id");
        ViewTickets signer = service(tickets);
        View view = service(titles).buyView(viewer, pathId(VIEWS_PATH, request), id);
        // a repeated view id gets a fresh ticket too: the view was paid for once, watching it again is free
        ViewTickets.Issued ticket = signer.issue(view);
        return Json.ok(201, Json.object().put("viewId", view.id()).put("title", view.title())
                .put("viewer", view.viewer()).put("provider", view.provider()).put("priceMicros", view.priceMicros())
                .put("feeMicros", view.feeMicros()).put("providerMicros", view.providerMicros())
                .put("posted", view.posted().toString()).put("repeated", view.repeated())
                .put("ticket", ticket.text()).put("ticketExpires", ticket.ticket().expires().toString())
                .set("manifest", Json.MAPPER.readTree(view.manifest())));
    }

    private static ObjectNode title(Title title) throws Exception {
        ObjectNode node = Json.object().put("name", title.name()).put("provider", title.provider())
                .put("providerName", title.providerName()).put("pricePerViewMicros", title.pricePerViewMicros())
                .put("available", title.available()).put("leases", title.leases())
                .put("runningLeases", title.runningLeases()).put("neededLeases", title.neededLeases())
                .put("sizeBytes", title.sizeBytes()).put("manifestBytes", title.manifestBytes())
                .put("views", title.views()).put("created", title.created().toString())
                .put("updated", title.updated().toString());
        if (title.manifest() != null) {
            node.set("manifest", Json.MAPPER.readTree(title.manifest()));
        }
        return node;
    }

    /** The registry's refusals as API errors (the bank's pass through: ApiRoutes maps them). */
    private static ApiRoutes.Endpoint refusals(ApiRoutes.Endpoint endpoint) {
        return request -> {
            try {
                return endpoint.handle(request);
            } catch (TitleRefused e) {
                int status = switch (e.reason()) {
                    case BAD_REQUEST -> 400;
                    case FORBIDDEN -> 403;
                    case NOT_FOUND -> 404;
                    case CONFLICT, UNAVAILABLE -> 409;
                };
                throw new ApiException(status, e.getMessage(), Map.of());
            }
        };
    }
}
