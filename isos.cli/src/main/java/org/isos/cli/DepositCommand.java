package org.isos.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code isos deposit AMOUNT}: a simulated payment into the token's account. */
@Command(name = "deposit", mixinStandardHelpOptions = true,
        description = "Pays credits into the token's account (POST /v1/deposits; a simulated payment).")
final class DepositCommand extends Verb {

    @Mixin
    ServerOptions server;

    @Parameters(index = "0", paramLabel = "AMOUNT", converter = Converters.Micros.class,
            description = "credits, e.g. 10 or 10.5 (a credit is 1,000,000 micro-credits)")
    long micros;

    @Option(names = "--id", paramLabel = "ID",
            description = "a transfer id of your choosing: the same id twice deposits once")
    String id;

    @Option(names = "--json", description = "print the server's answer as JSON")
    boolean json;

    @Override
    public Integer call() {
        ObjectNode body = ServerConnection.object().put("amountMicros", micros);
        if (id != null) {
            body.put("id", id);
        }
        JsonNode transfer = server.withToken().post("/v1/deposits", body);
        if (json) {
            printJson(transfer);
        } else {
            out().println("deposited " + credits(transfer, "amountMicros") + " credits (transfer " + text(transfer, "id")
                    + ", " + text(transfer, "posted") + ")");
        }
        return 0;
    }
}
