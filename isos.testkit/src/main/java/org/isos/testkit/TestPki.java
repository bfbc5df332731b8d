package org.isos.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The committed test PKI ({@code cnf/test-pki}, made by its {@code make.sh}), loaded from a directory:
 * one PKCS12 key store per identity, {@code NAME.p12} with the entry {@code NAME}, all under the password
 * {@value #PASSWORD}. Identities: {@code ca}, {@code host-1}, {@code buyer-a}, {@code buyer-b} and
 * {@code rogue} (a key no ISOS CA vouches for).
 */
public final class TestPki {

    /** The password of every key store and key of the test PKI. */
    public static final String PASSWORD = "isos-test";

    private final Path directory;
    private final Map<String, KeyStore> stores;

    private TestPki(Path directory, Map<String, KeyStore> stores) {
        this.directory = directory;
        this.stores = stores;
    }

    /** Loads every {@code *.p12} in {@code directory}. */
    public static TestPki load(Path directory) {
        Map<String, KeyStore> stores = new TreeMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*.p12")) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                KeyStore store = KeyStore.getInstance("PKCS12");
                try (InputStream in = Files.newInputStream(file)) {
                    store.load(in, PASSWORD.toCharArray());
                }
                stores.put(name.substring(0, name.length() - ".p12".length()), store);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load the test PKI from " + directory, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot load the test PKI from " + directory, e);
        }
        if (stores.isEmpty()) {
            throw new IllegalArgumentException("no test PKI (*.p12) in " + directory);
        }
        return new TestPki(directory, stores);
    }

    public Path directory() {
        return directory;
    }

    /** The identities, by key store name. */
    public Set<String> names() {
        return stores.keySet();
    }

    /** The key store file of {@code name}. */
    public Path keyStoreFile(String name) {
        keyStore(name);
        return directory.resolve(name + ".p12");
    }

    public KeyStore keyStore(String name) {
        KeyStore store = stores.get(name);
        if (store == null) {
            throw new IllegalArgumentException("the test PKI in " + directory + " has no " + name + ".p12");
        }
        return store;
    }

    public PrivateKey key(String name) {
        try {
            return (PrivateKey) keyStore(name).getKey(name, PASSWORD.toCharArray());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the key of " + name, e);
        }
    }

    /** The certificate chain of {@code name}, its own certificate first. */
    public List<X509Certificate> chain(String name) {
        try {
            Certificate[] chain = keyStore(name).getCertificateChain(name);
            List<X509Certificate> certificates = new ArrayList<>();
            for (Certificate certificate : chain == null ? new Certificate[0] : chain) {
                certificates.add((X509Certificate) certificate);
            }
            return List.copyOf(certificates);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the chain of " + name, e);
        }
    }

    public X509Certificate certificate(String name) {
        try {
            return (X509Certificate) keyStore(name).getCertificate(name);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the certificate of " + name, e);
        }
    }

    /** Signs like the JDK's jarsigner does, with the key and chain of {@code signer}. */
    public byte[] sign(byte[] jar, String signer) {
        return TestJars.sign(jar, key(signer), chain(signer));
    }
}
