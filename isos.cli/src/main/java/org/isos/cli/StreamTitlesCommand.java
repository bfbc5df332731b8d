package org.isos.cli;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code isos stream titles}: the titles published on the server, with their price, provider and availability. */
@Command(name = "titles", mixinStandardHelpOptions = true,
        description = "Lists the server's titles (GET /v1/titles): price per view, provider, size, hosts running of"
                + " those holding it (and how many it needs), views sold.")
final class StreamTitlesCommand extends Verb {

    @Mixin
    ServerOptions server;

    @Option(names = "--json", description = "print the server's answer {titles: [...]} as JSON")
    boolean json;

    @Override
    public Integer call() {
        JsonNode answer = server.withToken().get("/v1/titles");
        if (json) {
            printJson(answer);
            return 0;
        }
        JsonNode titles = answer.path("titles");
        if (titles.isEmpty()) {
            out().println("no titles on the server (isos stream publish MOVIE --hosts N makes one)");
            return 0;
        }
        out().printf("%-32s %12s %-24s %10s %9s %-11s %6s%n", "TITLE", "PRICE", "PROVIDER", "SIZE", "HOSTS",
                "AVAILABLE", "VIEWS");
        for (JsonNode t : titles) {
            out().printf("%-32s %12s %-24s %10s %9s %-11s %6d%n", text(t, "name"),
                    credits(t, "pricePerViewMicros"), cut(text(t, "providerName") + " (" + text(t, "provider") + ")"),
                    Quantities.size(t.path("sizeBytes").asLong()),
                    t.path("runningLeases").asInt() + "/" + t.path("leases").asInt(),
                    t.path("available").asBoolean() ? "yes" : "no (needs " + t.path("neededLeases").asInt() + ")",
                    t.path("views").asLong());
        }
        return 0;
    }

    private static String cut(String s) {
        return s.length() > 24 ? s.substring(0, 23) + "…" : s;
    }
}
