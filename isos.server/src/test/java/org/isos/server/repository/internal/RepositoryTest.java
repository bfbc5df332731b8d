package org.isos.server.repository.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.isos.admission.BundleAdmission;
import org.isos.server.TestConfigs;
import org.isos.server.accounts.Account;
import org.isos.server.accounts.AccountKind;
import org.isos.server.accounts.internal.JdbcAccounts;
import org.isos.server.ca.IssuedCertificate;
import org.isos.server.ca.internal.BouncyCastleAuthority;
import org.isos.server.ca.internal.CaConfig;
import org.isos.server.internal.ServerHome;
import org.isos.server.leases.LeaseFixtures;
import org.isos.server.repository.BundleRefused;
import org.isos.server.repository.StoredBundle;
import org.isos.server.store.internal.JdbcStore;
import org.isos.server.store.internal.StoreConfig;
import org.isos.testkit.TestJars;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Uploads admitted by the rules and stored by digest, over a real H2 file store ({@link PostgresRepositoryTest}). */
class RepositoryTest {

    @TempDir
    Path data;
    private JdbcStore store;
    private BouncyCastleAuthority ca;
    private JdbcAccounts accounts;
    private JdbcRepository repository;
    private Account buyer;

    @BeforeEach
    void start() throws Exception {
        ServerHome home = new ServerHome(data);
        store = new JdbcStore(TestConfigs.of(StoreConfig.class, database()), home);
        ca = new BouncyCastleAuthority(TestConfigs.of(CaConfig.class, Map.of()), home, store);
        accounts = new JdbcAccounts(store);
        repository = new JdbcRepository(store, ca);
        buyer = accounts.create(AccountKind.BUYER, "Acme").account();
    }

    Map<String, Object> database() throws Exception {
        return Map.of();
    }

    @AfterEach
    void stop() {
        store.close();
    }

    @Test
    void aSignedBundleIsStoredOnceByItsDigestAndReadBack() throws Exception {
        byte[] jar = LeaseFixtures.signedBundle(ca, buyer.id(), "org.acme.hello");
        StoredBundle stored = repository.store(buyer, jar);
        assertTrue(stored.added());
        assertEquals(BundleAdmission.sha256Hex(jar), stored.sha256());
        assertEquals("org.acme.hello", stored.symbolicName());
        assertEquals("1.0.0", stored.version());
        assertEquals(jar.length, stored.size());
        assertEquals(buyer.id(), stored.buyerId());

        StoredBundle again = repository.store(buyer, jar);
        assertFalse(again.added(), "there already");
        assertEquals(stored.uploaded(), again.uploaded());
        assertArrayEquals(jar, repository.content(stored.sha256()).orElseThrow());
        assertEquals(Optional.empty(), repository.content("0".repeat(64)));
        assertEquals(Optional.empty(), repository.find("not a digest"));

        StoredBundle second = repository.store(buyer, LeaseFixtures.signedBundle(ca, buyer.id(), "org.acme.second"));
        assertEquals(List.of(second.sha256(), stored.sha256()),
                repository.bundlesOf(buyer).stream().map(StoredBundle::sha256).toList(), "newest first");
        assertEquals(List.of(), repository.bundlesOf(accounts.create(AccountKind.BUYER, "Other").account()));
    }

    @Test
    void bundlesTheRulesRefuseAreNotStored() throws Exception {
        byte[] unsigned = LeaseFixtures.bundle("org.acme.hello", "1.0.0");
        BundleRefused refused = assertThrows(BundleRefused.class, () -> repository.store(buyer, unsigned));
        assertEquals(BundleRefused.Reason.INADMISSIBLE, refused.reason());
        assertTrue(refused.getMessage().startsWith("UNSIGNED: "), refused.getMessage());

        // signed by another buyer's certificate: that buyer answers for it, not this one
        byte[] othersJar = LeaseFixtures.signedBundle(ca, "buyer-someoneelse", "org.acme.hello");
        refused = assertThrows(BundleRefused.class, () -> repository.store(buyer, othersJar));
        assertTrue(refused.getMessage().startsWith("WRONG_BUYER: "), refused.getMessage());

        // signed by a key whose certificate another CA issued
        KeyPair keys = LeaseFixtures.ecKeys();
        BouncyCastleAuthority otherCa = new BouncyCastleAuthority(TestConfigs.of(CaConfig.class, Map.of()),
                new ServerHome(data.resolve("other")), store);
        IssuedCertificate foreign = otherCa.issueBuyerCertificate(buyer.id(),
                LeaseFixtures.csr(buyer.id(), keys).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        byte[] foreignJar = TestJars.sign(unsigned, keys.getPrivate(), foreign.chain());
        refused = assertThrows(BundleRefused.class, () -> repository.store(buyer, foreignJar));
        assertTrue(refused.getMessage().startsWith("UNTRUSTED_SIGNER: "), refused.getMessage());

        byte[] tampered = TestJars.withReplacedEntry(LeaseFixtures.signedBundle(ca, buyer.id(), "org.acme.hello"),
                "readme.txt", "changed after signing".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        refused = assertThrows(BundleRefused.class, () -> repository.store(buyer, tampered));
        assertTrue(refused.getMessage().startsWith("TAMPERED: "), refused.getMessage());

        refused = assertThrows(BundleRefused.class, () -> repository.store(buyer, new byte[0]));
        assertTrue(refused.getMessage().startsWith("MALFORMED: "), refused.getMessage());

        Account owner = accounts.create(AccountKind.OWNER, "Mary").account();
        assertEquals(BundleRefused.Reason.NOT_A_BUYER, assertThrows(BundleRefused.class,
                () -> repository.store(owner, LeaseFixtures.signedBundle(ca, owner.id(), "x"))).reason());
        assertEquals(List.of(), repository.bundlesOf(buyer), "nothing stored");
    }
}
