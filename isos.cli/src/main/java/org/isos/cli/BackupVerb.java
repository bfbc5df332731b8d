package org.isos.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import org.isos.apps.backup.client.BackupClient;
import org.isos.apps.backup.client.BackupOptions;
import org.isos.apps.backup.client.SessionHolder;
import org.isos.apps.backup.client.StoredFile;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * What every {@code isos backup} verb shares: the server, the backup's name, the secret its keys come from, and
 * the holders — the hosts the buyer leased the backup app onto ({@code GET /v1/leases?state=ACTIVE}, app
 * {@code isos.apps.backup}), reached over the kernel transport with the server's CA as the only anchor.
 */
abstract class BackupVerb extends Verb {

    static final String SECRET_ENV = "ISOS_BACKUP_SECRET";
    /** How long one host may take to answer one request before it counts as unreachable. */
    static final Duration HOLDER_TIMEOUT = Duration.ofSeconds(30);

    @Mixin
    ServerOptions server;

    @Option(names = "--name", paramLabel = "BACKUP", defaultValue = "default",
            description = "which backup (its keys and manifest are derived from the secret and this name; default ${DEFAULT-VALUE})")
    String backupName;

    @Option(names = "--secret-file", paramLabel = "FILE",
            description = "a file holding the backup's secret (default: $" + SECRET_ENV + "); it never leaves this machine")
    Path secretFile;

    @Option(names = "--max-per-owner", paramLabel = "N", defaultValue = "0",
            description = "most fragments of a segment on one owner's hosts (0: fewer than k, so no owner alone can rebuild it)")
    int maxPerOwner;

    /** The secret: from {@code --secret-file} (one trailing line break dropped) or {@code ISOS_BACKUP_SECRET}. */
    char[] secret() {
        if (secretFile != null) {
            return readSecret(secretFile);
        }
        String env = Isos.of(spec).env(SECRET_ENV);
        if (env == null) {
            throw new ParameterException(spec.commandLine(), "no secret: pass --secret-file FILE or set " + SECRET_ENV);
        }
        return env.toCharArray();
    }

    /** A secret file's text (UTF-8), without one trailing line break; the file's bytes are wiped from memory. */
    static char[] readSecret(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new CliFailure("cannot read the secret file " + file + ": " + e.getMessage(), e);
        }
        int end = bytes.length;
        if (end > 0 && bytes[end - 1] == '\n') {
            end--;
        }
        if (end > 0 && bytes[end - 1] == '\r') {
            end--;
        }
        CharBuffer chars = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes, 0, end));
        Arrays.fill(bytes, (byte) 0);
        char[] secret = new char[chars.remaining()];
        chars.get(secret);
        if (chars.hasArray()) {
            Arrays.fill(chars.array(), '\0');
        }
        if (secret.length == 0) {
            throw new CliFailure("the secret file " + file + " is empty");
        }
        return secret;
    }

    /** Checks the options every verb has; a bad one is a usage error. */
    void checkCommon() {
        if (backupName.isBlank() || backupName.length() > 200) {
            throw new ParameterException(spec.commandLine(), "--name must be 1 to 200 characters, not blank");
        }
        if (maxPerOwner < 0 || maxPerOwner > 256) {
            throw new ParameterException(spec.commandLine(), "--max-per-owner must be 0 to 256, not " + maxPerOwner);
        }
    }

    /** The library's options: the cache in {@code HOME/backup}, the per-owner cap. */
    BackupOptions options(BackupOptions base) {
        BackupOptions o = base.withCacheDirectory(server.home().resolve("backup"));
        return maxPerOwner > 0 ? o.withMaxPerOwner(maxPerOwner) : o;
    }

    /** The server's CA roots: what the hosts' transport certificates chain to. */
    List<X509Certificate> trusted() {
        Path file = server.ca != null ? server.ca.toAbsolutePath() : server.home().resolve("ca.pem");
        try {
            List<X509Certificate> roots = new ArrayList<>();
            for (var c : CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(file)))) {
                roots.add((X509Certificate) c);
            }
            if (roots.isEmpty()) {
                throw new CliFailure("the CA file " + file + " holds no certificate");
            }
            return roots;
        } catch (IOException e) {
            throw new CliFailure("cannot read the server's CA file " + file + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new CliFailure("the CA file " + file + " holds no readable certificate: " + e.getMessage(), e);
        }
    }

    /** The buyer's ACTIVE leases of the backup app, newest first. */
    static List<JsonNode> active(ServerConnection connection) {
        List<JsonNode> found = new ArrayList<>();
        for (JsonNode l : connection.get("/v1/leases?state=ACTIVE").path("leases")) {
            if (SessionHolder.APP.equals(text(l, "app")) && "ACTIVE".equals(text(l, "state"))) {
                found.add(l);
            }
        }
        return found;
    }

    /** A holder per lease (leases without a transport address yet are skipped with a note). */
    List<SessionHolder> holders(List<JsonNode> leases) {
        List<X509Certificate> ca = trusted();
        List<SessionHolder> holders = new ArrayList<>();
        for (JsonNode l : leases) {
            try {
                holders.add(SessionHolder.forLease(text(l, "id"), text(l, "hostId"), text(l, "ownerId"),
                        text(l, "transportAddress"), l.path("storageBytes").asLong(0), ca, text(l, "buyer"),
                        HOLDER_TIMEOUT));
            } catch (IllegalArgumentException e) {
                progress("skipping a holder: " + e.getMessage());
            }
        }
        return holders;
    }

    /** A client over the buyer's backup leases as they are now. */
    BackupClient open(ServerConnection connection, BackupOptions base, List<SessionHolder> opened) {
        List<SessionHolder> holders = holders(active(connection));
        opened.addAll(holders);
        if (holders.isEmpty()) {
            throw new CliFailure("no host runs the backup app for you (no ACTIVE lease of " + SessionHolder.APP
                    + "): `isos backup put` leases hosts");
        }
        return open(holders, base);
    }

    BackupClient open(List<SessionHolder> holders, BackupOptions base) {
        char[] secret = secret();
        try {
            return BackupClient.open(backupName, secret, holders, options(base));
        } catch (IllegalArgumentException e) {
            throw new CliFailure(e.getMessage(), e);
        } finally {
            Arrays.fill(secret, '\0');
        }
    }

    static void closeAll(List<SessionHolder> holders) {
        holders.forEach(SessionHolder::close);
    }

    /** A table of stored files, for people. */
    void printFiles(List<StoredFile> files) {
        Table table = new Table("ID", "NAME", "SIZE", "CODE", "SEGMENTS", "CREATED");
        for (StoredFile f : files) {
            table.row(f.id(), f.name(), f.size(), f.k() + "-of-" + f.n(), f.segments(), f.created());
        }
        table.print(out());
    }

    /** A library failure as the verb's failure (exit 1, its message as is). */
    static CliFailure failed(Exception e) {
        return new CliFailure(e.getMessage() == null ? e.toString() : e.getMessage(), e);
    }
}
