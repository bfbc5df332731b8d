package org.isos.server.directives.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.isos.server.TestConfigs;
import org.isos.server.accounts.Account;
import org.isos.server.accounts.AccountKind;
import org.isos.server.accounts.internal.JdbcAccounts;
import org.isos.server.ca.internal.BouncyCastleAuthority;
import org.isos.server.ca.internal.CaConfig;
import org.isos.server.directives.DirectiveRefused;
import org.isos.server.directives.HostDirective;
import org.isos.server.hosts.HostPolicy;
import org.isos.server.hosts.Hosts;
import org.isos.server.hosts.internal.JdbcHosts;
import org.isos.server.internal.ServerHome;
import org.isos.server.store.internal.JdbcStore;
import org.isos.server.store.internal.StoreConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Owners' directives in a real H2 file store ({@link PostgresHostDirectivesTest}: the same on PostgreSQL):
 * revisions grow with each change, only the host's owner changes it, and the policy must be one the agent runs.
 */
class HostDirectivesTest {

    private static final HostPolicy POLICY = new HostPolicy(0.4, 1_000_000, 50_000, Set.of("compute", "storage"), 25);

    @TempDir
    Path data;
    JdbcStore store;
    JdbcHosts hosts;
    JdbcHostDirectives directives;
    Account mary;
    Account acme;
    Account buyer;

    @BeforeEach
    void start() throws Exception {
        ServerHome home = new ServerHome(data);
        store = new JdbcStore(TestConfigs.of(StoreConfig.class, database()), home);
        BouncyCastleAuthority ca = new BouncyCastleAuthority(TestConfigs.of(CaConfig.class, Map.of()), home, store);
        hosts = new JdbcHosts(store, ca);
        JdbcAccounts accounts = new JdbcAccounts(store);
        mary = accounts.create(AccountKind.OWNER, "Mary").account();
        acme = accounts.create(AccountKind.OWNER, "Acme hosting").account();
        buyer = accounts.create(AccountKind.BUYER, "Lab").account();
        directives = new JdbcHostDirectives(store);
    }

    /** The store's configuration: the default H2 file store in the data directory. */
    Map<String, Object> database() throws Exception {
        return Map.of();
    }

    @AfterEach
    void stop() {
        hosts.close();
        store.close();
    }

    @Test
    void eachChangeBumpsTheRevisionAndTheHeartbeatReadSeesIt() throws Exception {
        String host = enroll(mary);
        assertEquals(HostDirective.none(host), directives.directive(host), "no directive: revision 0, nothing asked");

        HostDirective first = directives.setPolicy(mary, host, POLICY);
        assertEquals(1, first.revision());
        assertEquals(POLICY, first.policy());
        assertFalse(first.paused());
        assertEquals(first, directives.directive(host));

        HostDirective paused = directives.pause(mary, host, true);
        assertEquals(2, paused.revision());
        assertTrue(paused.paused());
        assertEquals(POLICY, paused.policy(), "pausing keeps the policy");
        assertEquals(paused, directives.pause(mary, host, true), "pausing a paused host changes nothing");

        HostPolicy other = new HostPolicy(1, 0, 1, Set.of("streaming"), 0);
        HostDirective changed = directives.setPolicy(mary, host, other);
        assertEquals(3, changed.revision());
        assertEquals(other, changed.policy());
        assertTrue(changed.paused(), "a new policy keeps the pause");
        assertEquals(4, directives.pause(mary, host, false).revision());

        String second = enroll(mary);
        HostDirective pausedFirst = directives.pause(mary, second, true);
        assertEquals(1, pausedFirst.revision());
        assertNull(pausedFirst.policy(), "a pause alone leaves the agent its own policy");
        assertEquals(List.of(host, second).stream().sorted().toList(),
                directives.directivesOf(mary).stream().map(HostDirective::hostId).toList());
        assertEquals(List.of(), directives.directivesOf(acme));
    }

    @Test
    void heartbeatsReadDirectivesFromMemoryAndAnotherServersChangeArrivesOnceTheEntryIsOld() throws Exception {
        String host = enroll(mary);
        JdbcHostDirectives here = new JdbcHostDirectives(store, java.time.Clock.systemUTC(), java.time.Duration.ofMillis(300));
        JdbcHostDirectives there = new JdbcHostDirectives(store, java.time.Clock.systemUTC(), java.time.Duration.ofMillis(300));
        long start = System.nanoTime(); // before the read: the entry is younger than the time since start
        assertEquals(HostDirective.none(host), here.directive(host));
        HostDirective paused = there.pause(mary, host, true);
        assertEquals(paused, there.directive(host), "a change made here is served here at once");
        HostDirective seen = here.directive(host);
        if (System.nanoTime() - start < java.time.Duration.ofMillis(250).toNanos()) {
            assertEquals(HostDirective.none(host), seen, "served from memory while the entry is young");
        }
        Thread.sleep(350);
        assertEquals(paused, here.directive(host), "read again once the entry is older than its time");
        HostDirective resumed = here.pause(mary, host, false);
        assertEquals(resumed, here.directive(host));
        assertEquals(2, resumed.revision());
    }

    @Test
    void onlyTheHostsOwnerDirectsItAndOnlyWithAPolicyTheAgentRuns() throws Exception {
        String host = enroll(mary);
        DirectiveRefused notFound = assertThrows(DirectiveRefused.class, () -> directives.pause(acme, host, true));
        assertSame(DirectiveRefused.Reason.NOT_FOUND, notFound.reason(), "another owner's host is not found");
        assertSame(DirectiveRefused.Reason.NOT_FOUND,
                assertThrows(DirectiveRefused.class, () -> directives.setPolicy(mary, "host-nope", POLICY)).reason());
        assertSame(DirectiveRefused.Reason.NOT_AN_OWNER,
                assertThrows(DirectiveRefused.class, () -> directives.pause(buyer, host, true)).reason());
        DirectiveRefused tooMuch = assertThrows(DirectiveRefused.class,
                () -> directives.setPolicy(mary, host, new HostPolicy(2, 0, 1, Set.of("compute"), 0)));
        assertSame(DirectiveRefused.Reason.BAD_REQUEST, tooMuch.reason());
        assertTrue(tooMuch.getMessage().contains("maxCpuShare"), tooMuch.getMessage());
        assertSame(DirectiveRefused.Reason.BAD_REQUEST, assertThrows(DirectiveRefused.class,
                () -> directives.setPolicy(mary, host, new HostPolicy(0.5, 0, 0, Set.of("compute"), 0))).reason());
        assertEquals(HostDirective.none(host), directives.directive(host), "nothing refused was stored");
    }

    private String enroll(Account owner) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair keys = generator.generateKeyPair();
        String hostId = Hosts.hostIdOf(keys.getPublic().getEncoded());
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + hostId), keys.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
        }
        hosts.enroll(owner, out.toString().getBytes(StandardCharsets.US_ASCII), null);
        return hostId;
    }
}
