package org.isos.cli;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code isos renew LEASE --lease DURATION}. */
@Command(name = "renew", mixinStandardHelpOptions = true,
        description = "Moves a lease's expiry to now + DURATION (POST /v1/leases/{id}/renew); the server may grant less.")
final class RenewCommand extends Verb {

    @Mixin
    ServerOptions server;

    @Parameters(index = "0", paramLabel = "LEASE", description = "the lease id")
    String lease;

    @Option(names = "--lease", required = true, paramLabel = "DURATION", converter = Converters.Seconds.class,
            description = "from now: e.g. 90s, 10m, 2h, 1h30m")
    long seconds;

    @Option(names = "--json", description = "print the server's answer as JSON")
    boolean json;

    @Override
    public Integer call() {
        JsonNode renewed = server.withToken().post("/v1/leases/" + ServerConnection.encode(lease) + "/renew",
                ServerConnection.object().put("seconds", seconds));
        if (json) {
            printJson(renewed);
        } else {
            Leases.printOne(renewed, out());
        }
        return 0;
    }
}
