package org.isos.cli;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code isos hosts}: an owner's machines as the server sees them. */
@Command(name = "hosts", mixinStandardHelpOptions = true,
        description = "Lists the token owner's hosts (GET /v1/hosts): status, last heartbeat, what they reported.")
final class HostsCommand extends Verb {

    @Mixin
    ServerOptions server;

    @Option(names = "--json", description = "print the server's answer as JSON")
    boolean json;

    @Override
    public Integer call() {
        JsonNode answer = server.withToken().get("/v1/hosts");
        if (json) {
            printJson(answer);
            return 0;
        }
        Table table = new Table("HOST", "STATUS", "AVAILABILITY", "LAST HEARTBEAT", "CORES", "MEMORY", "DISK FREE",
                "OS");
        for (JsonNode h : answer.path("hosts")) {
            JsonNode d = h.path("description");
            table.row(text(h, "hostId"), text(h, "status"), h.path("availability").isNumber()
                    ? String.format(java.util.Locale.ROOT, "%.0f%%", h.get("availability").asDouble() * 100) : null,
                    text(h, "lastHeartbeat"), text(d, "logicalCores"),
                    d.path("memoryBytes").canConvertToLong() ? Quantities.size(d.get("memoryBytes").asLong()) : null,
                    d.path("diskFreeBytes").canConvertToLong() ? Quantities.size(d.get("diskFreeBytes").asLong()) : null,
                    text(d, "operatingSystem"));
        }
        if (table.size() == 0) {
            out().println("no hosts");
        } else {
            table.print(out());
        }
        return 0;
    }
}
