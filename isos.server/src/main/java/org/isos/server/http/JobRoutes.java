package org.isos.server.http;

import static org.isos.server.http.RequestChecks.*;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;

import org.isos.server.accounts.Account;
import org.isos.server.accounts.Accounts;
import org.isos.server.jobs.Assignment;
import org.isos.server.jobs.HostTrust;
import org.isos.server.jobs.Job;
import org.isos.server.jobs.JobRefused;
import org.isos.server.jobs.JobSpec;
import org.isos.server.jobs.Jobs;
import org.isos.server.jobs.Report;
import org.isos.server.jobs.ReportOutcome;
import org.isos.server.jobs.ReportReply;
import org.isos.server.jobs.UnitInput;
import org.isos.server.jobs.UnitResult;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Jobs as a buyer and its job runner see them: create a job of work units, read its state, ask for units for a
 * leased host ({@code dispatch}), report what the host answered ({@code results}), read the validated results and
 * the hosts' records. Bytes (unit inputs, results) travel as base64.
 */
final class JobRoutes {

    static final String JOB_ROUTE = "/v1/jobs/{id}";
    static final Pattern JOB_PATH = Pattern.compile("/v1/jobs/([A-Za-z0-9._-]{1,100})");
    static final String DISPATCH_ROUTE = "/v1/jobs/{id}/dispatch";
    static final Pattern DISPATCH_PATH = Pattern.compile("/v1/jobs/([A-Za-z0-9._-]{1,100})/dispatch");
    static final String RESULTS_ROUTE = "/v1/jobs/{id}/results";
    static final Pattern RESULTS_PATH = Pattern.compile("/v1/jobs/([A-Za-z0-9._-]{1,100})/results");
    static final String HOSTS_ROUTE = "/v1/jobs/{id}/hosts";
    static final Pattern HOSTS_PATH = Pattern.compile("/v1/jobs/([A-Za-z0-9._-]{1,100})/hosts");

    private final Accounts accounts;
    private final Jobs jobs;

    JobRoutes(Accounts accounts, Jobs jobs) {
        this.accounts = accounts;
        this.jobs = jobs;
    }

    void addTo(ApiRoutes routes) {
        routes.pattern(JOB_PATH, JOB_ROUTE);
        routes.pattern(DISPATCH_PATH, DISPATCH_ROUTE);
        routes.pattern(RESULTS_PATH, RESULTS_ROUTE);
        routes.pattern(HOSTS_PATH, HOSTS_ROUTE);
        routes.route("POST", "/v1/jobs", this::createJob);
        routes.route("GET", "/v1/jobs", this::listJobs);
        routes.route("GET", JOB_ROUTE, this::getJob);
        routes.route("POST", DISPATCH_ROUTE, this::dispatch);
        routes.route("POST", RESULTS_ROUTE, this::report);
        routes.route("GET", RESULTS_ROUTE, this::results);
        routes.route("GET", HOSTS_ROUTE, this::hosts);
    }

    /** The service's refusals as HTTP answers. */
    private static ApiException refused(JobRefused e) {
        int status = switch (e.reason()) {
            case BAD_REQUEST -> 400;
            case FORBIDDEN, BANNED -> 403;
            case NOT_FOUND -> 404;
        };
        return new ApiException(status, e.getMessage());
    }

    private ApiResponse createJob(ApiRequest request) throws Exception {
        Account buyer = authenticate(accounts, request);
        noQuery(request);
        ObjectNode body = jsonObject(request, true, "bundle", "app", "minQuorum", "maxReplicas", "deadlineSeconds",
                "units", "spotChecks");
        String bundle = requiredString(body, "bundle");
        String app = requiredString(body, "app");
        int quorum = (int) Math.min(Integer.MAX_VALUE, body.has("minQuorum")
                ? wholeNumber(body, "minQuorum", "minQuorum", true, 1) : 2);
        int maxReplicas = (int) Math.min(Integer.MAX_VALUE, body.has("maxReplicas")
                ? wholeNumber(body, "maxReplicas", "maxReplicas", true, 1) : quorum + 2);
        int deadline = (int) Math.min(Integer.MAX_VALUE, body.has("deadlineSeconds")
                ? wholeNumber(body, "deadlineSeconds", "deadlineSeconds", true, 1) : 600);
        List<UnitInput> units = units(body.get("units"), "units", false, true);
        List<UnitInput> checks = units(body.get("spotChecks"), "spotChecks", true, false);
        try {
            return Json.ok(201, job(service(jobs).create(buyer, new JobSpec(bundle, app, quorum, maxReplicas, deadline,
                    units, checks))));
        } catch (JobRefused e) {
            throw refused(e);
        }
    }

    private static List<UnitInput> units(JsonNode array, String field, boolean spotChecks, boolean required)
            throws ApiException {
        if (array == null || array.isNull()) {
            if (required) {
                throw new ApiException(400, "missing field '" + field + "'");
            }
            return List.of();
        }
        if (!array.isArray()) {
            throw new ApiException(400, "field '" + field + "' must be an array of units, not " + typeOf(array));
        }
        List<UnitInput> units = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            JsonNode u = array.get(i);
            String name = field + "[" + i + "]";
            if (!u.isObject()) {
                throw new ApiException(400, "field '" + name + "' must be an object, not " + typeOf(u));
            }
            for (var it = u.fieldNames(); it.hasNext();) {
                String f = it.next();
                if (!List.of("name", "input", "estimatedCost", "expected").contains(f)) {
                    throw new ApiException(400, "unknown field '" + name + "." + f
                            + "' (allowed: name, input, estimatedCost, expected)");
                }
            }
            String unitName = requiredText(u, "name", name + ".name");
            byte[] input = base64(u, "input", name + ".input", true);
            long cost = u.has("estimatedCost") ? wholeNumber(u, "estimatedCost", name + ".estimatedCost", true, 0) : 1;
            byte[] expected = base64(u, "expected", name + ".expected", spotChecks);
            if (!spotChecks && expected != null) {
                throw new ApiException(400, "field '" + name + ".expected': only spot checks carry a known result");
            }
            units.add(new UnitInput(unitName, input, cost, expected));
        }
        return units;
    }

    private static byte[] base64(JsonNode node, String field, String name, boolean required) throws ApiException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new ApiException(400, "missing field '" + name + "'");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw new ApiException(400, "field '" + name + "' must be base64 text, not " + typeOf(v));
        }
        try {
            return Base64.getDecoder().decode(v.textValue());
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "field '" + name + "' is not base64: " + e.getMessage());
        }
    }

    private ApiResponse listJobs(ApiRequest request) throws Exception {
        Account buyer = authenticate(accounts, request);
        noQuery(request);
        ObjectNode answer = Json.object();
        ArrayNode list = answer.putArray("jobs");
        for (Job job : service(jobs).jobsOf(buyer)) {
            list.add(job(job));
        }
        return Json.ok(200, answer);
    }

    private ApiResponse getJob(ApiRequest request) throws Exception {
        Account buyer = authenticate(accounts, request);
        noQuery(request);
        String id = pathId(JOB_PATH, request);
        try {
            return Json.ok(200, job(service(jobs).job(buyer, id)));
        } catch (JobRefused e) {
            throw refused(e);
        }
    }

    private ApiResponse dispatch(ApiRequest request) throws Exception {
        Account buyer = authenticate(accounts, request);
        noQuery(request);
        String id = pathId(DISPATCH_PATH, request);
        ObjectNode body = jsonObject(request, true, "hostId", "max", "resend");
        String hostId = requiredString(body, "hostId");
        long max = body.has("max") ? wholeNumber(body, "max", "max", true, 1) : 1;
        if (max > 1000) {
            throw new ApiException(400, "field 'max' must be 1 to 1000, not " + max);
        }
        JsonNode resend = body.get("resend");
        if (resend != null && !resend.isBoolean()) {
            throw new ApiException(400, "field 'resend' must be true or false, not " + typeOf(resend));
        }
        List<Assignment> out;
        try {
            out = service(jobs).dispatch(buyer, id, hostId, (int) max, resend != null && resend.booleanValue());
        } catch (JobRefused e) {
            throw refused(e);
        }
        ObjectNode answer = Json.object();
        ArrayNode units = answer.putArray("units");
        for (Assignment a : out) {
            units.addObject().put("replicaId", a.replicaId()).put("input", Base64.getEncoder().encodeToString(a.input()))
                    .put("deadline", a.deadline().toString());
        }
        return Json.ok(200, answer);
    }

    private ApiResponse report(ApiRequest request) throws Exception {
        Account buyer = authenticate(accounts, request);
        noQuery(request);
        String id = pathId(RESULTS_PATH, request);
        ObjectNode body = jsonObject(request, true, "results", "next");
        JsonNode array = body.get("results");
        if (array == null || !array.isArray()) {
            throw new ApiException(400, array == null ? "missing field 'results'"
                    : "field 'results' must be an array, not " + typeOf(array));
        }
        List<Report> reports = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            JsonNode r = array.get(i);
            String name = "results[" + i + "]";
            if (!r.isObject()) {
                throw new ApiException(400, "field '" + name + "' must be an object, not " + typeOf(r));
            }
            for (var it = r.fieldNames(); it.hasNext();) {
                String f = it.next();
                if (!List.of("hostId", "replicaId", "result", "error").contains(f)) {
                    throw new ApiException(400, "unknown field '" + name + "." + f
                            + "' (allowed: hostId, replicaId, result, error)");
                }
            }
            String hostId = requiredText(r, "hostId", name + ".hostId");
            String replicaId = requiredText(r, "replicaId", name + ".replicaId");
            byte[] result = base64(r, "result", name + ".result", false);
            String error = optionalText(r, "error", name + ".error");
            if ((result == null) == (error == null)) {
                throw new ApiException(400, "field '" + name + "' needs exactly one of 'result' and 'error'");
            }
            reports.add(new Report(hostId, replicaId, result, error));
        }
        // "next": the host's next units in the same call and transaction (as dispatch without resend)
        JsonNode next = body.get("next");
        if (next != null && !next.isObject()) {
            throw new ApiException(400, "field 'next' must be an object {\"hostId\", \"max\"}, not " + typeOf(next));
        }
        String nextHost = null;
        long nextMax = 0;
        if (next != null) {
            for (var it = next.fieldNames(); it.hasNext();) {
                String f = it.next();
                if (!List.of("hostId", "max").contains(f)) {
                    throw new ApiException(400, "unknown field 'next." + f + "' (allowed: hostId, max)");
                }
            }
            nextHost = requiredText(next, "hostId", "next.hostId");
            nextMax = next.has("max") ? wholeNumber(next, "max", "next.max", true, 1) : 1;
            if (nextMax > 1000) {
                throw new ApiException(400, "field 'next.max' must be 1 to 1000, not " + nextMax);
            }
        }
        List<ReportOutcome> outcomes;
        List<Assignment> issued = null;
        try {
            if (nextHost == null) {
                outcomes = service(jobs).report(buyer, id, reports);
            } else {
                ReportReply reply = service(jobs).report(buyer, id, reports, nextHost, (int) nextMax);
                outcomes = reply.outcomes();
                issued = reply.next();
            }
        } catch (JobRefused e) {
            throw refused(e);
        }
        ObjectNode answer = Json.object();
        ArrayNode list = answer.putArray("outcomes");
        outcomes.forEach(o -> list.addObject().put("replicaId", o.replicaId()).put("outcome", o.outcome()));
        if (issued != null) {
            ArrayNode units = answer.putArray("units");
            for (Assignment a : issued) {
                units.addObject().put("replicaId", a.replicaId()).put("input", Base64.getEncoder().encodeToString(a.input()))
                        .put("deadline", a.deadline().toString());
            }
        }
        return Json.ok(200, answer);
    }

    private ApiResponse results(ApiRequest request) throws Exception {
        Account buyer = authenticate(accounts, request);
        noQuery(request);
        String id = pathId(RESULTS_PATH, request);
        List<UnitResult> units;
        Job job;
        try {
            job = service(jobs).job(buyer, id);
            units = jobs.results(buyer, id);
        } catch (JobRefused e) {
            throw refused(e);
        }
        ObjectNode answer = Json.object();
        answer.set("job", job(job));
        ArrayNode list = answer.putArray("units");
        for (UnitResult u : units) {
            list.addObject().put("position", u.position()).put("name", u.name()).put("state", u.state())
                    .put("result", u.result() == null ? null : Base64.getEncoder().encodeToString(u.result()))
                    .put("error", u.error());
        }
        return Json.ok(200, answer);
    }

    private ApiResponse hosts(ApiRequest request) throws Exception {
        Account buyer = authenticate(accounts, request);
        noQuery(request);
        String id = pathId(HOSTS_PATH, request);
        List<HostTrust> trust;
        try {
            trust = service(jobs).hostsOf(buyer, id);
        } catch (JobRefused e) {
            throw refused(e);
        }
        ObjectNode answer = Json.object();
        ArrayNode list = answer.putArray("hosts");
        for (HostTrust t : trust) {
            list.addObject().put("hostId", t.hostId()).put("streak", t.streak()).put("validTotal", t.validTotal())
                    .put("invalidTotal", t.invalidTotal()).put("timedOut", t.timedOut()).put("quota", t.quota())
                    .put("banned", t.banned()).put("credit", t.credit()).put("forfeited", t.forfeited());
        }
        return Json.ok(200, answer);
    }

    private static ObjectNode job(Job job) {
        return Json.object().put("id", job.id()).put("buyer", job.buyerId()).put("bundle", job.appSha256())
                .put("app", job.appKind()).put("minQuorum", job.minQuorum()).put("maxReplicas", job.maxReplicas())
                .put("deadlineSeconds", job.deadlineSeconds()).put("state", job.state()).put("units", job.units())
                .put("ready", job.ready()).put("inProgress", job.inProgress()).put("validated", job.validated())
                .put("errors", job.errors()).put("replicasIssued", job.replicasIssued())
                .put("spotChecks", job.spotChecks()).put("spotChecksPassed", job.spotChecksPassed())
                .put("spotChecksFailed", job.spotChecksFailed()).put("created", job.created().toString())
                .put("finished", job.finished() == null ? null : job.finished().toString());
    }
}
