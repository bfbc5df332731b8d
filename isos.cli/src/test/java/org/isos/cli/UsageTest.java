package org.isos.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every verb's help (exit 0) and usage errors (exit 2, the verb and what was wrong on stderr). */
class UsageTest {

    /** Enough for the verbs to get past their settings, so option errors are what is tested. */
    private static final Map<String, String> ENV = Map.of("ISOS_SERVER", "https://127.0.0.1:9/", "ISOS_TOKEN", "isos_x",
            "ISOS_HOME", "/nonexistent-isos-home");

    @ParameterizedTest
    @ValueSource(strings = { "", "dev", "accounts", "accounts create", "accounts show", "deposit", "keys", "keys new", "sign",
            "deploy", "leases", "release", "renew", "hosts", "balance", "ledger" })
    void everyVerbHasHelp(String verb) {
        String[] args = (verb + " --help").strip().split(" ");
        CliRun run = CliRun.run(args);
        assertEquals(0, run.exit(), run::toString);
        assertTrue(run.out().startsWith("Usage: isos" + (verb.isEmpty() ? "" : " " + verb)), run::toString);
        assertEquals("", run.err());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        // verb line | what stderr must say
        "(none)| isos: a verb is needed",
        "launch| isos: Unmatched argument at index 0: 'launch'",
        "deploy app.jar --lease 10m| isos deploy: Missing required option: '--hosts=N'",
        "deploy app.jar --attach-leases l1| isos deploy: --attach-leases goes with --watch",
        "deploy app.jar --watch --attach-leases l1 --hosts 2| isos deploy: --attach-leases watches leases made before: it takes no --hosts or --lease",
        "deploy app.jar --watch --attach-leases a/b| isos deploy: --attach-leases takes lease ids, not 'a/b'",
        "deploy app.jar --hosts 2| isos deploy: Missing required option: '--lease=DURATION'",
        "deploy --hosts 2 --lease 10m| isos deploy: Missing required parameter: 'BUNDLE.jar'",
        "deploy app.jar --hosts 2 --lease 5x| isos deploy: Invalid value for option '--lease': '5x' is not a duration",
        "deploy app.jar --hosts 2 --lease 0s| isos deploy: Invalid value for option '--lease': a duration must be longer than 0",
        "deploy app.jar --hosts two --lease 10m| isos deploy: Invalid value for option '--hosts': 'two' is not an int",
        "deploy app.jar --hosts 0 --lease 10m| isos deploy: --hosts must be 1 to 1000, not 0",
        "deploy app.jar --hosts 1 --lease 10m --cpu 1.5| isos deploy: Invalid value for option '--cpu': a CPU share is more than 0 and at most 1",
        "deploy app.jar --hosts 1 --lease 10m --storage 64XB| isos deploy: Invalid value for option '--storage': '64XB' is not a size",
        "deploy app.jar --hosts 1 --lease 10m --memory 0| isos deploy: Invalid value for option '--memory': '0' must be at least 1 byte",
        "deploy app.jar --hosts 1 --lease 10m --bandwidth fast| isos deploy: Invalid value for option '--bandwidth': 'fast' is not a rate",
        "deploy app.jar --hosts 1 --lease 10m --max-price -1| isos deploy: Invalid value for option '--max-price': an amount of credits must be more than 0",
        "deploy app.jar --hosts 1 --lease 10m --category games| isos deploy: Invalid value for option '--category': expected one of [compute, storage, streaming]",
        "deploy app.jar --hosts 1 --lease 10m --wait-seconds -1| isos deploy: --wait-seconds must be 0 to 86400",
        "deploy app.jar --hosts 1 --lease 10m --min-availability 1.5| isos deploy: Invalid value for option '--min-availability': an availability is from 0 to 1",
        "deploy app.jar --hosts 1 --lease 10m --min-availability often| isos deploy: Invalid value for option '--min-availability': 'often' is not an availability",
        "deploy app.jar --hosts 1 --lease 10m --window 22-06| isos deploy: Invalid value for option '--window': '22-06' is not a window of UTC hours: use HH:MM-HH:MM",
        "deploy app.jar --hosts 1 --lease 10m --window 25:00-06:00| isos deploy: Invalid value for option '--window': '25:00-06:00' is not a window of UTC hours: times run from 00:00 to 24:00",
        "deploy app.jar --hosts 1 --lease 10m --colour blue| isos deploy: Unknown options: '--colour', 'blue'",
        "leases --state DANCING| isos leases: Invalid value for option '--state': expected one of [PENDING, ACTIVE, SUSPENDED, EXPIRED, RELEASED, FAILED]",
        "ledger --limit 0| isos ledger: --limit must be 1 to 10000, not 0",
        "ledger --limit many| isos ledger: Invalid value for option '--limit': 'many' is not an int",
        "renew lease-1| isos renew: Missing required option: '--lease=DURATION'",
        "renew --lease 10m| isos renew: Missing required parameter: 'LEASE'",
        "release| isos release: Missing required parameter: 'LEASE'",
        "release a b| isos release: Unmatched argument at index 2: 'b'",
        "deposit| isos deposit: Missing required parameter: 'AMOUNT'",
        "deposit ten| isos deposit: Invalid value for positional parameter at index 0 (AMOUNT): 'ten' is not an amount of credits",
        "deposit 0.0000001| isos deposit: Invalid value for positional parameter at index 0 (AMOUNT): '0.0000001' has more than 6 decimal places",
        "accounts| isos accounts: say which: create, invite or show",
        "accounts create --name Mary| isos accounts create: Missing required option: '--kind=owner|buyer'",
        "accounts create --kind owner| isos accounts create: Missing required option: '--name=NAME'",
        "accounts create --kind admin --name Mary| isos accounts create: Invalid value for option '--kind': expected one of [owner, buyer]",
        "keys| isos keys: say which: new",
        "keys new| isos keys new: Missing required parameter: 'NAME'",
        "keys new ../escape| isos keys new: a key name is 1 to 64 letters",
        "sign in.jar -o out.jar| isos sign: Missing required option: '--key=NAME|FILE.p12'",
        "sign in.jar --key k| isos sign: Missing required option: '--output=OUT.jar'",
        "sign in.jar --key k! -o out.jar| isos sign: --key is a key name",
        "dev| isos dev: Missing required option: '--hosts=N'",
        "dev --hosts 0| isos dev: --hosts must be 1 to 64, not 0",
        "dev --hosts 65| isos dev: --hosts must be 1 to 64, not 65",
        "dev --hosts 1 --heartbeat-seconds 0| isos dev: --heartbeat-seconds must be 1 to 3600",
        "dev --hosts 1 --wait-seconds 1| isos dev: --wait-seconds must be 10 to 3600",
        "dev --hosts 1 --agent-property foo=bar| isos dev: --agent-property must be isos.agent.policy.<name>=<value> or isos.kernel.<name>=<value>, not foo=bar",
        "hosts --server http://127.0.0.1:9/| isos hosts: the server URL must be https://HOST:PORT/, not 'http://127.0.0.1:9/'",
    })
    void usageErrorsExit2WithAMessage(String line, String message) {
        String[] args = line.equals("(none)") ? new String[0] : line.split(" ");
        CliRun run = CliRun.run(ENV, args);
        assertEquals(2, run.exit(), run::toString);
        assertTrue(run.err().startsWith(message.strip()), run::toString);
        assertTrue(run.err().contains("--help'"), "points at the help: " + run);
        assertEquals("", run.out());
    }

    @Test
    void settingsNobodyGaveAreUsageErrors() {
        CliRun noServer = CliRun.run(Map.of("ISOS_TOKEN", "isos_x"), "balance");
        assertEquals(2, noServer.exit(), noServer::toString);
        assertTrue(noServer.err().startsWith("isos balance: no server: set ISOS_SERVER or pass --server URL"), noServer::toString);

        CliRun noToken = CliRun.run(Map.of("ISOS_SERVER", "https://127.0.0.1:9/"), "leases");
        assertEquals(2, noToken.exit(), noToken::toString);
        assertTrue(noToken.err().startsWith("isos leases: no API token: set ISOS_TOKEN or pass --token TOKEN"), noToken::toString);
    }

    @Test
    void aMissingCaFileIsAFailureThatSaysWhereItLooked() {
        CliRun run = CliRun.run(ENV, "balance");
        assertEquals(1, run.exit(), run::toString);
        assertTrue(run.err().startsWith("isos balance: no CA file at /nonexistent-isos-home/ca.pem"), run::toString);
    }
}
