package org.isos.cli;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code isos accounts create|show}: open an owner or buyer account, or see whose token this is. */
@Command(name = "accounts", mixinStandardHelpOptions = true, description = "Owner and buyer accounts.",
        subcommands = { AccountsCommand.Create.class, AccountsCommand.Show.class })
final class AccountsCommand extends Verb {

    enum Kind {
        owner, buyer
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "say which: create or show");
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Opens an account (POST /v1/accounts) and prints its id and its API token (shown once).")
    static final class Create extends Verb {
        @Mixin
        ServerOptions server;

        @Option(names = "--kind", required = true, paramLabel = "owner|buyer",
                description = "owner (hosts machines) or buyer (leases them)")
        Kind kind;

        @Option(names = "--name", required = true, paramLabel = "NAME", description = "a display name")
        String name;

        @Option(names = "--json", description = "print the server's answer as JSON")
        boolean json;

        @Override
        public Integer call() {
            if (name.isBlank()) {
                throw new ParameterException(spec.commandLine(), "--name must not be blank");
            }
            JsonNode created = server.anonymous().post("/v1/accounts",
                    ServerConnection.object().put("kind", kind.name()).put("name", name));
            if (json) {
                printJson(created);
            } else {
                out().println("id     " + text(created, "id"));
                out().println("token  " + text(created, "token"));
                out().flush();
                progress("created " + text(created, "kind") + " account '" + text(created, "name")
                        + "'; keep the token: it is not shown again (ISOS_TOKEN=…)");
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "The account of the token (GET /v1/me).")
    static final class Show extends Verb {
        @Mixin
        ServerOptions server;

        @Option(names = "--json", description = "print the server's answer as JSON")
        boolean json;

        @Override
        public Integer call() {
            JsonNode me = server.withToken().get("/v1/me");
            if (json) {
                printJson(me);
            } else {
                new Table("ID", "KIND", "NAME", "CREATED").row(text(me, "id"), text(me, "kind"), text(me, "name"),
                        text(me, "created")).print(out());
            }
            return 0;
        }
    }
}
