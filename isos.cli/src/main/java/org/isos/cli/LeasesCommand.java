package org.isos.cli;

import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code isos leases}: a buyer's leases, or the leases on an owner's hosts. */
@Command(name = "leases", mixinStandardHelpOptions = true,
        description = "Lists leases, newest first (GET /v1/leases): a buyer's own, or those on an owner's hosts.")
final class LeasesCommand extends Verb {

    enum State {
        PENDING, ACTIVE, SUSPENDED, EXPIRED, RELEASED, FAILED
    }

    @Mixin
    ServerOptions server;

    @Option(names = "--state", paramLabel = "STATE", description = "only leases in this state: ${COMPLETION-CANDIDATES}")
    State state;

    @Option(names = "--json", description = "print the server's answer as JSON")
    boolean json;

    @Override
    public Integer call() {
        JsonNode answer = server.withToken().get("/v1/leases"
                + (state == null ? "" : "?state=" + state.name().toUpperCase(Locale.ROOT)));
        if (json) {
            printJson(answer);
        } else {
            Leases.print(answer.path("leases"), out());
        }
        return 0;
    }
}
