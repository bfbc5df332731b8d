package org.isos.server.http;

import static org.isos.server.http.RequestChecks.*;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.isos.server.accounts.Account;
import org.isos.server.accounts.Accounts;
import org.isos.server.bank.LedgerSeries;
import org.isos.server.bank.LedgerSeries.Bucket;
import org.isos.server.bank.LedgerSeries.Point;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The caller's ledger summed per hour or day ({@code GET /v1/ledger/series}): owners' earnings and buyers'
 * spend over time, what the web console charts. The ledger route lists at most 1000 entries; this one sums
 * every entry in the range in the store.
 */
final class LedgerSeriesRoutes {

    /** How far back a series may reach, per bucket: at most 744 hourly or 366 daily points. */
    static final Map<Bucket, Duration> MAX_RANGE = Map.of(Bucket.HOUR, Duration.ofDays(31), Bucket.DAY, Duration.ofDays(366));
    static final Map<Bucket, Duration> DEFAULT_RANGE = Map.of(Bucket.HOUR, Duration.ofHours(48), Bucket.DAY, Duration.ofDays(30));
    static final List<String> KINDS = List.of("deposit", "withdrawal", "hold", "release", "usage", "view", "fee");

    private final Accounts accounts;
    private final LedgerSeries series;

    LedgerSeriesRoutes(Accounts accounts, LedgerSeries series) {
        this.accounts = accounts;
        this.series = series;
    }

    void addTo(ApiRoutes routes) {
        routes.route("GET", "/v1/ledger/series", this::series);
    }

    /** {@code ?bucket=hour|day&kind=usage&since=ISO-instant}, each optional. */
    private ApiResponse series(ApiRequest request) throws Exception {
        Account account = authenticate(accounts, request);
        Bucket bucket = Bucket.HOUR;
        String kind = "usage";
        Instant since = null;
        for (Map.Entry<String, List<String>> parameter : request.query().entrySet()) {
            String value = parameter.getValue().get(parameter.getValue().size() - 1);
            switch (parameter.getKey()) {
                case "bucket" -> {
                    if (!value.equals("hour") && !value.equals("day")) {
                        throw new ApiException(400, "query parameter 'bucket' must be \"hour\" or \"day\", not " + quoted(value));
                    }
                    bucket = Bucket.valueOf(value.toUpperCase(Locale.ROOT));
                }
                case "kind" -> {
                    if (!KINDS.contains(value)) {
                        throw new ApiException(400, "query parameter 'kind' must be one of " + String.join(", ", KINDS)
                                + ", not " + quoted(value));
                    }
                    kind = value;
                }
                case "since" -> {
                    try {
                        since = Instant.parse(value);
                    } catch (DateTimeParseException e) {
                        throw new ApiException(400, "query parameter 'since' must be an ISO-8601 instant "
                                + "(e.g. 2026-01-01T00:00:00Z), not " + quoted(value));
                    }
                }
                default -> throw new ApiException(400, "unknown query parameter " + quoted(parameter.getKey())
                        + " (allowed: bucket, kind, since)");
            }
        }
        Instant now = Instant.now();
        if (since == null) {
            since = now.minus(DEFAULT_RANGE.get(bucket));
        } else if (since.isBefore(now.minus(MAX_RANGE.get(bucket)))) {
            throw new ApiException(400, "query parameter 'since' reaches back more than "
                    + MAX_RANGE.get(bucket).toDays() + " days for bucket=" + bucket.name().toLowerCase(Locale.ROOT)
                    + (bucket == Bucket.HOUR ? " (use bucket=day)" : ""));
        }
        ObjectNode answer = Json.object().put("account", account.id()).put("kind", kind)
                .put("bucket", bucket.name().toLowerCase(Locale.ROOT)).put("since", since.toString());
        ArrayNode points = answer.putArray("points");
        long in = 0;
        long out = 0;
        for (Point p : service(series).series(account.id(), kind, bucket, since)) {
            points.addObject().put("start", p.start().toString()).put("inMicros", p.inMicros())
                    .put("outMicros", p.outMicros()).put("entries", p.entries());
            in += p.inMicros();
            out += p.outMicros();
        }
        return Json.ok(200, answer.put("totalInMicros", in).put("totalOutMicros", out));
    }
}
