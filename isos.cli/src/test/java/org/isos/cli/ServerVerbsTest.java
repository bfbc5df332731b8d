package org.isos.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.isos.admission.AdmissionPolicy;
import org.isos.admission.BundleAdmission;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The verbs that talk to the server, against a real server process. The repository, lease and bank
 * routes come with the server's own work: where the server under test answers 404 "no route" for
 * them, those tests are skipped (an assumption), not passed.
 */
class ServerVerbsTest {

    private static final Path ECHO = Path.of(System.getProperty("isos.test.apps", "target/test-apps")).resolve("echo.jar");

    @TempDir
    static Path temp;
    private static TestServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = TestServer.start(temp.resolve("server"));
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void accountsAreCreatedAndShown() throws Exception {
        Map<String, String> env = server.env(temp.resolve("home-accounts"), null);
        CliRun created = CliRun.run(env, "accounts", "create", "--kind", "buyer", "--name", "Bob");
        assertEquals(0, created.exit(), created::toString);
        String id = created.out().lines().filter(l -> l.startsWith("id ")).findFirst().orElseThrow().substring(3).strip();
        String token = created.out().lines().filter(l -> l.startsWith("token ")).findFirst().orElseThrow().substring(6).strip();
        assertTrue(id.matches("buyer-[0-9a-f]{32}"), created::toString);
        assertTrue(token.startsWith("isos_"), created::toString);

        Map<String, String> asBob = server.env(temp.resolve("home-accounts"), token);
        CliRun me = CliRun.run(asBob, "accounts", "show", "--json");
        assertEquals(0, me.exit(), me::toString);
        JsonNode json = ServerConnection.JSON.readTree(me.out());
        assertEquals(id, json.get("id").asText());
        assertEquals("buyer", json.get("kind").asText());
        assertEquals("Bob", json.get("name").asText());

        CliRun owner = CliRun.run(env, "accounts", "create", "--kind", "OWNER", "--name", "Mary", "--json");
        assertEquals(0, owner.exit(), owner::toString);
        assertEquals("owner", ServerConnection.JSON.readTree(owner.out()).get("kind").asText());

        CliRun badName = CliRun.run(env, "accounts", "create", "--kind", "owner", "--name", "<script>");
        assertEquals(1, badName.exit(), badName::toString);
        assertTrue(badName.err().startsWith("isos accounts create: ") && badName.err().contains("name"), badName::toString);
    }

    @Test
    void hostsAreAnOwnersAndBuyersGetTheServersRefusal() throws Exception {
        String ownerToken = token("owner", "Mary");
        CliRun empty = CliRun.run(server.env(temp.resolve("home-hosts"), ownerToken), "hosts");
        assertEquals(0, empty.exit(), empty::toString);
        assertEquals("no hosts", empty.out().strip());
        CliRun json = CliRun.run(server.env(temp.resolve("home-hosts"), ownerToken), "hosts", "--json");
        assertEquals(0, json.exit(), json::toString);
        assertEquals(0, ServerConnection.JSON.readTree(json.out()).get("hosts").size());

        String buyerToken = token("buyer", "Bob");
        String refusal = refusal(() -> new ServerConnection(server.url, buyerToken, server.rootPem).get("/v1/hosts"), 403);
        CliRun buyer = CliRun.run(server.env(temp.resolve("home-hosts"), buyerToken), "hosts");
        assertEquals(1, buyer.exit(), buyer::toString);
        assertEquals("isos hosts: " + refusal, buyer.err().strip());
        assertEquals("", buyer.out());
    }

    @Test
    void failuresSayWhatWentWrong() throws Exception {
        CliRun unknownToken = CliRun.run(server.env(temp.resolve("home-fail"), "isos_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                "accounts", "show");
        assertEquals(1, unknownToken.exit(), unknownToken::toString);
        assertEquals("isos accounts show: " + refusal(() -> new ServerConnection(server.url,
                "isos_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", server.rootPem).get("/v1/me"), 401), unknownToken.err().strip());

        // a CA that is not this server's: TLS fails, and the message says which file to check
        Map<String, String> otherCa = new HashMap<>(server.env(temp.resolve("home-fail"), token("buyer", "Bob")));
        CliRun tls = CliRun.run(otherCa, "accounts", "show", "--ca",
                Path.of(System.getProperty("isos.root", "..")).resolve("cnf/test-pki/ca.pem").toString());
        assertEquals(1, tls.exit(), tls::toString);
        assertTrue(tls.err().startsWith("isos accounts show: TLS with " + server.url + " failed"), tls::toString);

        otherCa.put("ISOS_SERVER", "https://127.0.0.1:1/");
        CliRun unreachable = CliRun.run(otherCa, "balance");
        assertEquals(1, unreachable.exit(), unreachable::toString);
        assertTrue(unreachable.err().startsWith("isos balance: cannot reach the server at https://127.0.0.1:1/"),
                unreachable::toString);
    }

    @Test
    void aBuyerMakesAKeySignsAndUploads() throws Exception {
        String buyerToken = token("buyer", "Signer");
        assumeTrue(server.serves("POST", "/v1/certificates", buyerToken),
                "this server build has no POST /v1/certificates yet (404 no route)");
        Path home = temp.resolve("home-keys");
        Map<String, String> env = server.env(home, buyerToken);
        String buyerId = new ServerConnection(server.url, buyerToken, server.rootPem).get("/v1/me").get("id").asText();

        CliRun keys = CliRun.run(env, "keys", "new", "release-key");
        assertEquals(0, keys.exit(), keys::toString);
        Path p12 = home.resolve("release-key.p12");
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            store.load(in, KeysCommand.DEFAULT_PASSWORD.toCharArray());
        }
        assertTrue(store.isKeyEntry("release-key"));
        Certificate[] chain = store.getCertificateChain("release-key");
        X509Certificate leaf = (X509Certificate) chain[0];
        assertTrue(leaf.getSubjectX500Principal().getName().startsWith("CN=" + buyerId + ","), leaf.toString());
        X509Certificate root = (X509Certificate) chain[chain.length - 1];
        leaf.verify(root.getPublicKey());
        assertEquals(serverRoot(), root, "the chain ends at the server's root");

        CliRun again = CliRun.run(env, "keys", "new", "release-key");
        assertEquals(1, again.exit(), again::toString);
        assertTrue(again.err().contains("exists; pass --force"), again::toString);

        CliRun owner = CliRun.run(server.env(home, token("owner", "Mary")), "keys", "new", "owner-key");
        assertEquals(1, owner.exit(), owner::toString);
        assertTrue(owner.err().contains("code-signing keys are for buyers"), owner::toString);

        Path signed = temp.resolve("echo-by-" + buyerId + ".jar");
        CliRun sign = CliRun.run(env, "sign", ECHO.toString(), "--key", "release-key", "-o", signed.toString(),
                "--replace-signatures");
        assertEquals(0, sign.exit(), sign::toString);
        assertEquals(buyerId, new BundleAdmission(AdmissionPolicy.defaults(), List.of(serverRoot()))
                .admit(Files.readAllBytes(signed), null, buyerId).buyer(), "admitted for this buyer, the server's root as anchor");

        assumeTrue(server.serves("GET", "/v1/leases", buyerToken), "this server build has no leases yet (404 no route)");
        // signed by the test PKI's buyer, not a certificate of this server: refused at upload with the rule's name
        CliRun foreign = CliRun.run(env, "deploy", ECHO.toString(), "--hosts", "1", "--lease", "1m");
        assertEquals(1, foreign.exit(), foreign::toString);
        assertTrue(foreign.err().startsWith("isos deploy: upload refused: "), foreign::toString);

        assertTrue(foreign.err().startsWith("isos deploy: upload refused: UNTRUSTED_SIGNER: "), foreign::toString);
        Path unsigned = temp.resolve("echo-unsigned.jar");
        BundleSigner.writeUnsigned(ECHO, unsigned);
        CliRun notSigned = CliRun.run(env, "deploy", unsigned.toString(), "--hosts", "1", "--lease", "1m");
        assertEquals(1, notSigned.exit(), notSigned::toString);
        assertTrue(notSigned.err().startsWith("isos deploy: upload refused: UNSIGNED: "), notSigned::toString);

        // an admissible bundle, but no host at all: the upload works, the lease is refused (409 says why)
        CliRun noHosts = CliRun.run(env, "deploy", signed.toString(), "--hosts", "1", "--lease", "1m");
        assertEquals(1, noHosts.exit(), noHosts::toString);
        assertTrue(noHosts.err().contains("uploaded isos.testapp.echo"), noHosts::toString);
        assertTrue(noHosts.err().contains("isos deploy: lease refused: "), noHosts::toString);

        CliRun leases = CliRun.run(env, "leases", "--json");
        assertEquals(0, leases.exit(), leases::toString);
        assertEquals(0, ServerConnection.JSON.readTree(leases.out()).get("leases").size());
        CliRun none = CliRun.run(env, "leases", "--state", "active");
        assertEquals(0, none.exit(), none::toString);
        assertEquals("no leases", none.out().strip());
        CliRun release = CliRun.run(env, "release", "lease-unknown");
        assertEquals(1, release.exit(), release::toString);
        assertTrue(release.err().startsWith("isos release: "), release::toString);
    }

    @Test
    void theBankVerbs() throws Exception {
        String buyerToken = token("buyer", "Payer");
        assumeTrue(server.serves("GET", "/v1/balance", buyerToken), "this server build has no bank yet (404 no route)");
        Map<String, String> env = server.env(temp.resolve("home-bank"), buyerToken);

        CliRun deposit = CliRun.run(env, "deposit", "10.5", "--id", "test-deposit-1");
        assertEquals(0, deposit.exit(), deposit::toString);
        assertTrue(deposit.out().startsWith("deposited 10.5 credits"), deposit::toString);
        CliRun twice = CliRun.run(env, "deposit", "10.5", "--id", "test-deposit-1", "--json");
        assertEquals(0, twice.exit(), twice::toString);

        CliRun balance = CliRun.run(env, "balance", "--json");
        assertEquals(0, balance.exit(), balance::toString);
        JsonNode b = ServerConnection.JSON.readTree(balance.out());
        assertEquals(10_500_000, b.get("availableMicros").asLong(), "the same transfer id deposits once: " + b);
        assertEquals(0, b.get("heldMicros").asLong());
        CliRun text = CliRun.run(env, "balance");
        assertEquals(0, text.exit(), text::toString);
        assertTrue(text.out().lines().skip(1).findFirst().orElseThrow().contains("10.5"), text::toString);

        CliRun ledger = CliRun.run(env, "ledger", "--limit", "10", "--json");
        assertEquals(0, ledger.exit(), ledger::toString);
        JsonNode entries = ServerConnection.JSON.readTree(ledger.out()).get("entries");
        assertTrue(entries.size() >= 1, ledger::toString);
        boolean found = false;
        for (JsonNode e : entries) {
            found |= e.path("transferId").asText().endsWith("test-deposit-1") && e.path("amountMicros").asLong() == 10_500_000;
        }
        assertTrue(found, "the deposit is in the ledger: " + entries);
        CliRun ledgerText = CliRun.run(env, "ledger");
        assertEquals(0, ledgerText.exit(), ledgerText::toString);
        assertTrue(ledgerText.out().contains("test-deposit-1"), ledgerText::toString);
    }

    // ------------------------------------------------------------------ helpers

    private static X509Certificate serverRoot() throws Exception {
        try (InputStream in = Files.newInputStream(server.rootPem)) {
            return (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private static String token(String kind, String name) {
        return new ServerConnection(server.url, null, server.rootPem).post("/v1/accounts",
                ServerConnection.object().put("kind", kind).put("name", name)).get("token").asText();
    }

    /** The server's error text for a call expected to be refused with {@code status}. */
    private static String refusal(Runnable call, int status) {
        try {
            call.run();
        } catch (ServerConnection.Refused e) {
            assertEquals(status, e.status(), e.getMessage());
            return e.getMessage();
        }
        throw new AssertionError("not refused");
    }
}
