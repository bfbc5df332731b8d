package org.isos.agent.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.isos.apps.compute.protocol.ComputeMessage;
import org.isos.apps.compute.work.MersenneResult;
import org.isos.apps.compute.work.MersenneUnit;
import org.isos.kernel.wire.ClientSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compute app on a real agent: a buyer signs it, leases it to the host, and runs a Mersenne
 * search there through the kernel's transport; the host answers with exactly the known exponents.
 */
class ComputeE2ETest {

    static final String APP = "isos.apps.compute";

    @TempDir
    Path root;

    @Test
    void aSignedComputeAppRunsAMersenneSearchOnAnAgent() throws Exception {
        byte[] app = Jars.pki().sign(Jars.app(APP), "buyer-a");
        try (AgentProcess agent = new AgentProcess(root.resolve("agent"), Map.of()).secure().start()) {
            agent.awaitReady(Duration.ofSeconds(60));
            agent.drop("compute.jar", app);
            agent.dropLease("compute", AgentProcess.hostLease("compute", "buyer-a", APP, 600, "compute.jar"));
            agent.awaitStatus("compute app ACTIVE", Duration.ofSeconds(30),
                    s -> "ACTIVE".equals(s.getProperty("app.compute.state")));
            try (ClientSession session = ClientSession.open(agent.transport(),
                    List.of(Jars.pki().certificate("ca")), "buyer-a", APP, "compute")) {
                List<MersenneUnit> units = MersenneUnit.split(2, 700, 233);
                for (int i = 0; i < units.size(); i++) {
                    session.send(ComputeMessage.run("m" + i, units.get(i).encode()).encode());
                }
                session.send(ComputeMessage.run("bad", new byte[] { 1, 2, 3 }).encode());
                Map<String, ComputeMessage> replies = new TreeMap<>();
                while (replies.size() < units.size() + 1) {
                    ComputeMessage reply = ComputeMessage.decode(session.receive(Duration.ofSeconds(60)));
                    replies.put(reply.unitId(), reply);
                }
                assertEquals(ComputeMessage.Op.FAILED, replies.get("bad").op());
                assertTrue(replies.get("bad").reason().startsWith("bad work unit"), replies.get("bad").reason());
                List<Integer> primes = new ArrayList<>();
                for (int i = 0; i < units.size(); i++) {
                    ComputeMessage reply = replies.get("m" + i);
                    assertEquals(ComputeMessage.Op.RESULT, reply.op(), () -> reply.reason());
                    primes.addAll(MersenneResult.decode(reply.payload()).primes());
                }
                assertEquals(List.of(2, 3, 5, 7, 13, 17, 19, 31, 61, 89, 107, 127, 521, 607), primes);
                // a result can be fetched again, as after a reconnect
                session.send(new ComputeMessage(ComputeMessage.Op.FETCH, "m0", null).encode());
                ComputeMessage again = ComputeMessage.decode(session.receive(Duration.ofSeconds(20)));
                assertEquals(ComputeMessage.Op.RESULT, again.op());
            }
        }
    }
}
