package org.isos.cli;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code isos accounts create|invite|show}: open an owner or buyer account (by invitation, or with the operator's
 * token, where the server's signup is invite), invite someone, or see whose token this is.
 */
@Command(name = "accounts", mixinStandardHelpOptions = true, description = "Owner and buyer accounts.",
        subcommands = { AccountsCommand.Create.class, AccountsCommand.Invite.class, AccountsCommand.Show.class })
final class AccountsCommand extends Verb {

    enum Kind {
        owner, buyer
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "say which: create, invite or show");
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Opens an account (POST /v1/accounts) and prints its id and its API token (shown once). "
                    + "A server whose signup is invite needs --invitation CODE, or the operator's token as --token.")
    static final class Create extends Verb {
        @Mixin
        ServerOptions server;

        @Option(names = "--kind", required = true, paramLabel = "owner|buyer",
                description = "owner (hosts machines) or buyer (leases them)")
        Kind kind;

        @Option(names = "--name", required = true, paramLabel = "NAME", description = "a display name")
        String name;

        @Option(names = "--invitation", paramLabel = "CODE",
                description = "an invitation code from the operator or a host owner (isos_inv_...)")
        String invitation;

        @Option(names = "--json", description = "print the server's answer as JSON")
        boolean json;

        @Override
        public Integer call() {
            if (name.isBlank()) {
                throw new ParameterException(spec.commandLine(), "--name must not be blank");
            }
            if (invitation != null && !invitation.matches("isos_inv_[A-Za-z0-9_-]{43}")) {
                throw new ParameterException(spec.commandLine(), "--invitation must be an invitation code (isos_inv_...)");
            }
            var body = ServerConnection.object().put("kind", kind.name()).put("name", name);
            if (invitation != null) {
                body.put("invitation", invitation);
            }
            // only an explicit --token is sent (the operator's): ISOS_TOKEN is usually someone's own account
            JsonNode created = (server.token != null ? server.withToken() : server.anonymous()).post("/v1/accounts", body);
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

    @Command(name = "invite", mixinStandardHelpOptions = true,
            description = "Issues an invitation to open one account (POST /v1/invitations): with a host owner's token "
                    + "or the operator's (<server data>/operator.token). Prints the code (shown once).")
    static final class Invite extends Verb {
        @Mixin
        ServerOptions server;

        @Option(names = "--kind", required = true, paramLabel = "owner|buyer",
                description = "the kind of account the invitation opens")
        Kind kind;

        @Option(names = "--json", description = "print the server's answer as JSON")
        boolean json;

        @Override
        public Integer call() {
            JsonNode issued = server.withToken().post("/v1/invitations",
                    ServerConnection.object().put("kind", kind.name()));
            if (json) {
                printJson(issued);
            } else {
                out().println(text(issued, "invitation"));
                out().flush();
                progress("an invitation for one " + text(issued, "kind") + " account, valid until "
                        + text(issued, "expires") + ": isos accounts create --kind " + text(issued, "kind")
                        + " --name NAME --invitation CODE");
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
