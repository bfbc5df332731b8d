package org.isos.cli;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code isos ledger}. */
@Command(name = "ledger", mixinStandardHelpOptions = true,
        description = "The token's ledger entries, newest first (GET /v1/ledger): deposits, escrow, usage, payouts.")
final class LedgerCommand extends Verb {

    @Mixin
    ServerOptions server;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "at most N entries (default ${DEFAULT-VALUE})")
    int limit;

    @Option(names = "--json", description = "print the server's answer as JSON")
    boolean json;

    @Override
    public Integer call() {
        if (limit < 1 || limit > 10_000) {
            throw new ParameterException(spec.commandLine(), "--limit must be 1 to 10000, not " + limit);
        }
        JsonNode ledger = server.withToken().get("/v1/ledger?limit=" + limit);
        if (json) {
            printJson(ledger);
            return 0;
        }
        Table table = new Table("POSTED", "KIND", "CREDITS", "LEDGER ACCOUNT", "TRANSFER", "MEMO");
        for (JsonNode e : ledger.path("entries")) {
            table.row(text(e, "posted"), text(e, "kind"), credits(e, "amountMicros"), text(e, "ledgerAccount"),
                    text(e, "transferId"), text(e, "memo"));
        }
        if (table.size() == 0) {
            out().println("no ledger entries");
        } else {
            table.print(out());
        }
        return 0;
    }
}
