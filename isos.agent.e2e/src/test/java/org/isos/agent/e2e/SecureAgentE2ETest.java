package org.isos.agent.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent as an owner should run it: with OSGi security. A well-behaved app works through the
 * kernel API under the app permission policy; an app that reaches for a file by a class name built
 * at run time (invisible to the install-time scan) is denied by the SecurityManager.
 */
class SecureAgentE2ETest {

    @TempDir
    Path root;

    @Test
    void appsRunSandboxedUnderTheSecurityManager() throws Exception {
        try (AgentProcess agent = new AgentProcess(root.resolve("agent"), Map.of()).secure().start()) {
            agent.awaitReady(Duration.ofSeconds(60));
            agent.drop("echo.jar", Jars.app("isos.testapp.echo"));
            agent.dropLease("echo", AgentProcess.hostLease("echo", "buyer-a", "isos.testapp.echo", 600, "echo.jar"));
            agent.drop("sneaky.jar", Jars.app("isos.testapp.sneaky"));
            agent.dropLease("sneaky",
                    AgentProcess.hostLease("sneaky", "buyer-b", "isos.testapp.sneaky", 600, "sneaky.jar"));
            agent.awaitStatus("both apps ACTIVE", Duration.ofSeconds(30),
                    s -> "ACTIVE".equals(s.getProperty("app.echo.state"))
                            && "ACTIVE".equals(s.getProperty("app.sneaky.state")));
            try (AppClient client = AppClient.connect(agent.transport(), AgentProcess.pki().resolve("ca.pem"),
                    "buyer-a", "isos.testapp.echo")) {
                assertEquals("ok", client.ask("put sandboxed yes"));
                assertEquals("yes", client.ask("get sandboxed"));
                assertEquals("submitted w", client.ask("work w 10"));
            }
            Path outcome = agent.kernelData().resolve("stores").resolve("sneaky").resolve("outcome");
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!Files.exists(outcome) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            String result = Files.readString(outcome);
            assertTrue(result.startsWith("denied:") && result.contains("FilePermission"), result);
        }
    }
}
