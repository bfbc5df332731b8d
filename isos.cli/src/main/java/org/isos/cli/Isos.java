package org.isos.cli;

import java.io.PrintWriter;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ./isos} for buyers and owners: the verbs that talk to the server, sign bundles and start a
 * local world ({@code dev}). Exit status 0 on success, 1 when something failed (the reason on stderr,
 * e.g. {@code isos deploy: upload refused: UNSIGNED: …}), 2 on a usage error.
 */
@Command(name = "isos", mixinStandardHelpOptions = true, versionProvider = Isos.Version.class,
        description = "The ISOS command line for buyers and host owners. Verbs that talk to the server read "
                + "ISOS_SERVER, ISOS_TOKEN and ISOS_HOME (or --server, --token, --home); `isos dev` makes a local "
                + "world and writes them to DIR/dev.env.",
        subcommands = { DevCommand.class, AccountsCommand.class, DepositCommand.class, KeysCommand.class,
                SignCommand.class, DeployCommand.class, LeasesCommand.class, ReleaseCommand.class, RenewCommand.class,
                HostsCommand.class, BalanceCommand.class, LedgerCommand.class, BackupCommand.class,
                StreamCommand.class, JobCommand.class })
public final class Isos implements Callable<Integer> {

    static final int FAILED = 1;
    static final int USAGE = 2;

    private final Map<String, String> environment;

    @Spec
    CommandSpec spec;

    Isos(Map<String, String> environment) {
        this.environment = Map.copyOf(Objects.requireNonNull(environment, "environment"));
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int status = execute(args, System.getenv(), out, err);
        out.flush();
        err.flush();
        System.exit(status);
    }

    /** Runs one command line with the given environment (tests pass their own) and returns the exit status. */
    public static int execute(String[] args, Map<String, String> environment, PrintWriter out, PrintWriter err) {
        CommandLine line = new CommandLine(new Isos(environment));
        line.setOut(out);
        line.setErr(err);
        line.setCaseInsensitiveEnumValuesAllowed(true);
        line.setParameterExceptionHandler((e, ignored) -> {
            CommandLine where = e.getCommandLine();
            String name = where.getCommandSpec().qualifiedName();
            where.getErr().println(name + ": " + e.getMessage());
            where.getErr().println("see '" + name + " --help'");
            return USAGE;
        });
        line.setExecutionExceptionHandler((e, where, parsed) -> {
            String name = where.getCommandSpec().qualifiedName();
            if (e instanceof CliFailure || e instanceof ServerConnection.Refused) {
                where.getErr().println(name + ": " + e.getMessage());
            } else {
                // not an expected failure: the stack trace helps whoever reports it
                where.getErr().println(name + ": " + e);
                e.printStackTrace(where.getErr());
            }
            return FAILED;
        });
        return line.execute(args);
    }

    /** An environment variable, or null when unset or blank. */
    String env(String name) {
        String value = environment.get(name);
        return value == null || value.isBlank() ? null : value.strip();
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "a verb is needed");
    }

    /** The root command of {@code spec}'s command line: where the environment is. */
    static Isos of(CommandSpec spec) {
        return (Isos) spec.root().userObject();
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Isos.class.getPackage().getImplementationVersion();
            return new String[] { "isos " + (v == null ? "0.1.0-SNAPSHOT" : v) + " (HTTP API v1)" };
        }
    }
}
