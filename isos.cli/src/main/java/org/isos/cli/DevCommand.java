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

    @Option(names = "--hosts", required = true, paramLabel = "N", description = "how many host agents (1 to 16)")
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

    @Override
    public Integer call() throws Exception {
        if (hosts < 1 || hosts > 16) {
            throw new ParameterException(spec.commandLine(), "--hosts must be 1 to 16, not " + hosts);
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
                hosts, heartbeatSeconds, depositMicros, waitSeconds, out(), err());
        world.runUntilStopped();
        return 0;
    }
}
