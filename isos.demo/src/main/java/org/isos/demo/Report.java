package org.isos.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What the day produced: the results and how long they took, every account's money, what each host
 * earned, the ledger's totals. Printed as tables in the terminal and written as one self-contained HTML
 * page with bar charts (inline SVG: no script, no network).
 */
final class Report {

    record Result(String what, String outcome, String measured) {
    }

    record Money(Party party, long availableMicros, long heldMicros) {
    }

    private final List<Party> parties = new ArrayList<>();
    private final List<Result> results = new ArrayList<>();
    private final List<Money> balances = new ArrayList<>();
    private final Map<String, Long> hostEarnings = new LinkedHashMap<>();
    private final Map<String, String> hostOwners = new LinkedHashMap<>();
    private final Map<String, Double> phases = new LinkedHashMap<>();
    private JsonNode totals;
    private String failure;

    void party(Party party) {
        parties.add(party);
    }

    List<Party> parties() {
        return List.copyOf(parties);
    }

    void result(String what, String outcome, String measured) {
        results.add(new Result(what, outcome, measured));
    }

    void balance(Party party, long available, long held) {
        balances.add(new Money(party, available, held));
    }

    void earned(String hostId, String owner, long micros) {
        hostEarnings.merge(hostId, micros, Long::sum);
        hostOwners.put(hostId, owner);
    }

    void totals(JsonNode totals) {
        this.totals = totals;
    }

    void phase(String name, double atSeconds) {
        phases.put(name, atSeconds);
    }

    void failed(String why) {
        failure = why;
    }

    static String credits(long micros) {
        return String.format(Locale.ROOT, "%.6f", micros / 1e6);
    }

    void print(PrintStream out) {
        out.println();
        out.println("══════════════════════════ Mary's day: the report ══════════════════════════");
        out.println(failure == null ? "Every check held." : "FAILED: " + failure);
        if (!results.isEmpty()) {
            out.println();
            out.println("Results");
            for (Result r : results) {
                out.printf("  %-46s %-34s %s%n", r.what(), r.outcome(), r.measured());
            }
        }
        if (!balances.isEmpty()) {
            out.println();
            out.println("Accounts (credits)            kind     available        in escrow");
            for (Money m : balances) {
                out.printf("  %-26s %-7s %16s %16s%n", m.party().name, m.party().kind, credits(m.availableMicros()),
                        credits(m.heldMicros()));
            }
        }
        if (!hostEarnings.isEmpty()) {
            out.println();
            out.println("What each host earned (credits, after the ISOS fee)");
            hostEarnings.forEach((host, micros) -> out.printf("  %-40s %-14s %14s%n", host, hostOwners.get(host),
                    credits(micros)));
        }
        if (totals != null) {
            out.println();
            out.printf("Ledger: deposits %s − withdrawals %s = sum over all accounts %s (%s); ISOS fees %s%n",
                    credits(totals.path("depositsMicros").asLong()), credits(totals.path("withdrawalsMicros").asLong()),
                    credits(totals.path("sumOfAccountsMicros").asLong()),
                    totals.path("balanced").asBoolean() ? "balanced" : "NOT BALANCED", credits(totals.path("feesMicros").asLong()));
        }
        if (!phases.isEmpty()) {
            out.println();
            StringBuilder line = new StringBuilder("Timeline (s):");
            phases.forEach((name, at) -> line.append(String.format(Locale.ROOT, "  %s %.1f", name, at)));
            out.println(line);
        }
    }

    void writeHtml(Path file) throws IOException {
        StringBuilder html = new StringBuilder();
        html.append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>ISOS — Mary's day</title><style>")
                .append("body{font-family:system-ui,sans-serif;margin:2em;max-width:60em;color:#222}")
                .append("table{border-collapse:collapse;margin:1em 0}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}")
                .append("td.n{text-align:right;font-variant-numeric:tabular-nums}.ok{color:#176b2c}.bad{color:#a11}")
                .append("</style></head><body><h1>ISOS — Mary's day</h1>");
        html.append(failure == null ? "<p class=\"ok\"><b>Every check held.</b></p>"
                : "<p class=\"bad\"><b>FAILED:</b> " + escape(failure) + "</p>");
        html.append("<h2>Results</h2><table><tr><th>what</th><th>outcome</th><th>measured</th></tr>");
        for (Result r : results) {
            html.append("<tr><td>").append(escape(r.what())).append("</td><td>").append(escape(r.outcome()))
                    .append("</td><td>").append(escape(r.measured())).append("</td></tr>");
        }
        html.append("</table>");
        html.append("<h2>Accounts</h2><table><tr><th>account</th><th>kind</th><th>available</th><th>in escrow</th></tr>");
        Map<String, Long> chart = new LinkedHashMap<>();
        for (Money m : balances) {
            html.append("<tr><td>").append(escape(m.party().name)).append("</td><td>").append(m.party().kind)
                    .append("</td><td class=\"n\">").append(credits(m.availableMicros())).append("</td><td class=\"n\">")
                    .append(credits(m.heldMicros())).append("</td></tr>");
            chart.put(m.party().name, m.availableMicros());
        }
        html.append("</table>").append(bars("Balances after the day (credits)", chart));
        html.append("<h2>What each host earned</h2>").append(bars("Credits earned per host, after the ISOS fee", hostEarnings));
        if (totals != null) {
            html.append("<h2>Ledger</h2><p>Deposits ").append(credits(totals.path("depositsMicros").asLong()))
                    .append(" − withdrawals ").append(credits(totals.path("withdrawalsMicros").asLong()))
                    .append(" = sum over all accounts ").append(credits(totals.path("sumOfAccountsMicros").asLong()))
                    .append(totals.path("balanced").asBoolean() ? " <span class=\"ok\">(balanced)</span>" : " <span class=\"bad\">(NOT balanced)</span>")
                    .append("; ISOS fees ").append(credits(totals.path("feesMicros").asLong())).append(".</p>");
        }
        Map<String, Long> timeline = new LinkedHashMap<>();
        double previous = 0;
        for (Map.Entry<String, Double> phase : phases.entrySet()) {
            timeline.put(phase.getKey(), Math.round((phase.getValue() - previous) * 1_000_000));
            previous = phase.getValue();
        }
        html.append("<h2>Timeline</h2>").append(bars("Seconds per phase", timeline));
        html.append("</body></html>\n");
        Files.writeString(file, html.toString(), StandardCharsets.UTF_8);
    }

    /** A horizontal bar chart of {@code values} (micro-units, shown as units) as inline SVG. */
    private static String bars(String title, Map<String, Long> values) {
        if (values.isEmpty()) {
            return "<p>(nothing)</p>";
        }
        long max = Math.max(1, values.values().stream().mapToLong(Long::longValue).max().orElse(1));
        int row = 26;
        int height = 30 + row * values.size();
        StringBuilder svg = new StringBuilder("<figure><figcaption>").append(escape(title)).append("</figcaption>")
                .append("<svg role=\"img\" width=\"720\" height=\"").append(height).append("\" viewBox=\"0 0 720 ")
                .append(height).append("\">");
        int y = 10;
        for (Map.Entry<String, Long> value : values.entrySet()) {
            int width = (int) Math.max(1, Math.round(400.0 * Math.max(0, value.getValue()) / max));
            svg.append("<text x=\"0\" y=\"").append(y + 15).append("\" font-size=\"12\">").append(escape(shorten(value.getKey())))
                    .append("</text><rect x=\"220\" y=\"").append(y).append("\" width=\"").append(width)
                    .append("\" height=\"18\" fill=\"#3b7dd8\"><title>").append(escape(value.getKey())).append(": ")
                    .append(credits(value.getValue())).append("</title></rect><text x=\"").append(226 + width).append("\" y=\"")
                    .append(y + 14).append("\" font-size=\"12\">").append(credits(value.getValue())).append("</text>");
            y += row;
        }
        return svg.append("</svg></figure>").toString();
    }

    private static String shorten(String text) {
        return text.length() > 30 ? text.substring(0, 29) + "…" : text;
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
