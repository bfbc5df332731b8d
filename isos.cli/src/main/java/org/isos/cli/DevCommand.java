package org.isos.cli;

import java.nio.file.Path;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code isos dev --hosts N}: a whole ISOS world on this machine, for trying the buyer verbs. */
@Command(name = "dev", mixinStandardHelpOptions = true,
        description = { "Starts a local world and keeps it running until SIGINT/SIGTERM: a server (DIR/server),"
                + " owner accounts 'mary' and 'acme-hosting', N secure host agents (DIR/agent-<i>, owners alternating)"
                + " on loopback transports, a buyer account with credits. Writes DIR/dev.env (ISOS_SERVER, ISOS_TOKEN of"
                + " the buyer, ISOS_HOME=DIR/home with the CA, ISOS_OWNER_TOKENS) and prints 'ready' once every host"
                + " is ONLINE. Logs: DIR/*.log. Stopping ends the agents first, then the server.",
                "Use it from another shell:  set -a; . DIR/dev.env; set +a; ./isos balance" })
final class DevCommand extends Verb {

    @Option(names = "--hosts", required = true, paramLabel = "N", description = "how many host agents (1 to 64)")
    int hosts;

    @Option(names = "--data", paramLabel = "DIR", description = "where it all lives (default: target/dev of the checkout)")
    Path data;

    @Option(names = "--heartbeat-seconds", paramLabel = "S", defaultValue = "1",
            description = "the agents' heartbeat period, set in the server (default ${DEFAULT-VALUE})")
    int heartbeatSeconds;

    @Option(names = "--deposit", paramLabel = "CREDITS", defaultValue = "1000", converter = Converters.Micros.class,
            description = "credits paid into the buyer's account (default ${DEFAULT-VALUE})")
    long depositMicros;

    @Option(names = "--wait-seconds", paramLabel = "S", defaultValue = "180",
            description = "how long the server and the hosts may take to come up (default ${DEFAULT-VALUE})")
    int waitSeconds;

    @Option(names = "--db", paramLabel = "JDBC_URL",
            description = "the servers' store, e.g. jdbc:postgresql://127.0.0.1:5432/isos (default: H2 in DIR/server)")
    String db;

    @Option(names = "--db-user", paramLabel = "U", description = "the store's user (with --db)")
    String dbUser;

    @Option(names = "--db-password", paramLabel = "PW", description = "the store's password (with --db)")
    String dbPassword;

    @Option(names = "--servers", paramLabel = "N", defaultValue = "1",
            description = "server instances over the one store --db names (1 to 4; DIR/server, DIR/server-2, ... sharing"
                    + " the first one's CA); agents and ISOS_SERVER use the first, dev.env lists all in ISOS_SERVERS"
                    + " (default ${DEFAULT-VALUE})")
    int servers;

    @Option(names = "--restart-server-seconds", paramLabel = "S",
            description = "a server that exits is started again after S seconds (same data and port) and the world goes on;"
                    + " without it the world stops once no server runs")
    Integer restartServerSeconds;

    @Option(names = "--usage-period-seconds", paramLabel = "S",
            description = "how often the agents' kernels close a usage record for each lease (default: 60)")
    Integer usagePeriodSeconds;

    @Option(names = "--agent-property", paramLabel = "KEY=VALUE",
            description = "a framework property for every agent, e.g. isos.agent.policy.idlePeriodSeconds=2 (repeatable; "
                    + "isos.agent.policy.* and isos.kernel.* keys, see isos.agent.host/README.md)")
    java.util.List<String> agentProperties = new java.util.ArrayList<>();

    @Override
    public Integer call() throws Exception {
        for (String property : agentProperties) {
            if (!property.matches("isos\\.(agent\\.policy|kernel)\\.[A-Za-z]+=[^\\s]*")) {
                throw new ParameterException(spec.commandLine(), "--agent-property must be isos.agent.policy.<name>=<value> or "
                        + "isos.kernel.<name>=<value>, not " + property);
            }
        }
        if (usagePeriodSeconds != null && (usagePeriodSeconds < 1 || usagePeriodSeconds > 3600)) {
            throw new ParameterException(spec.commandLine(), "--usage-period-seconds must be 1 to 3600, not "
                    + usagePeriodSeconds);
        }
        if (servers < 1 || servers > 4) {
            throw new ParameterException(spec.commandLine(), "--servers must be 1 to 4, not " + servers);
        }
        if (servers > 1 && db == null) {
            throw new ParameterException(spec.commandLine(), "--servers " + servers + " share one store: give --db JDBC_URL");
        }
        if (db != null && !db.startsWith("jdbc:")) {
            throw new ParameterException(spec.commandLine(), "--db must be a JDBC URL (jdbc:...), not " + db);
        }
        if ((dbUser != null || dbPassword != null) && db == null) {
            throw new ParameterException(spec.commandLine(), "--db-user and --db-password go with --db");
        }
        if (restartServerSeconds != null && (restartServerSeconds < 0 || restartServerSeconds > 86_400)) {
            throw new ParameterException(spec.commandLine(),
                    "--restart-server-seconds must be 0 to 86400, not " + restartServerSeconds);
        }
        if (hosts < 1 || hosts > 64) {
            throw new ParameterException(spec.commandLine(), "--hosts must be 1 to 64, not " + hosts);
        }
        if (heartbeatSeconds < 1 || heartbeatSeconds > 3600) {
            throw new ParameterException(spec.commandLine(), "--heartbeat-seconds must be 1 to 3600, not " + heartbeatSeconds);
        }
        if (waitSeconds < 10 || waitSeconds > 3600) {
            throw new ParameterException(spec.commandLine(), "--wait-seconds must be 10 to 3600, not " + waitSeconds);
        }
        Path root = Path.of(System.getProperty("isos.root", ".")).toAbsolutePath().normalize();
        Path dir = (data != null ? data.toAbsolutePath() : root.resolve("target").resolve("dev")).normalize();
        Path serverDist = Path.of(System.getProperty("isos.server.dist", root.resolve("isos.server/target/server").toString()));
        Path agentDist = Path.of(System.getProperty("isos.agent.dist", root.resolve("isos.agent.host/target/agent").toString()));
        DevWorld world = new DevWorld(dir, serverDist.toAbsolutePath().normalize(), agentDist.toAbsolutePath().normalize(),
                hosts, heartbeatSeconds, depositMicros, waitSeconds,
                new DevWorld.ServerPlan(servers, db, dbUser, dbPassword, restartServerSeconds,
                        usagePeriodSeconds), out(), err());
        world.agentProperties(agentProperties).runUntilStopped();
        return 0;
    }
}
