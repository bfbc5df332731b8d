package org.isos.cli;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code isos release LEASE}. */
@Command(name = "release", mixinStandardHelpOptions = true,
        description = "Ends a lease now (DELETE /v1/leases/{id}); the host stops the app at its next heartbeat and"
                + " the rest of the escrow returns.")
final class ReleaseCommand extends Verb {

    @Mixin
    ServerOptions server;

    @Parameters(index = "0", paramLabel = "LEASE", description = "the lease id")
    String lease;

    @Option(names = "--json", description = "print the server's answer as JSON")
    boolean json;

    @Override
    public Integer call() {
        JsonNode released = server.withToken().delete("/v1/leases/" + ServerConnection.encode(lease));
        if (json) {
            printJson(released);
        } else {
            Leases.printOne(released, out());
        }
        return 0;
    }
}
