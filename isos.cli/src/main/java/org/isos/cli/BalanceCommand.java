package org.isos.cli;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code isos balance}. */
@Command(name = "balance", mixinStandardHelpOptions = true,
        description = "The token's account: credits available and held in escrow for leases (GET /v1/balance).")
final class BalanceCommand extends Verb {

    @Mixin
    ServerOptions server;

    @Option(names = "--json", description = "print the server's answer as JSON")
    boolean json;

    @Override
    public Integer call() {
        JsonNode balance = server.withToken().get("/v1/balance");
        if (json) {
            printJson(balance);
        } else {
            new Table("ACCOUNT", "AVAILABLE", "HELD").row(text(balance, "account"), credits(balance, "availableMicros"),
                    credits(balance, "heldMicros")).print(out());
        }
        return 0;
    }
}
