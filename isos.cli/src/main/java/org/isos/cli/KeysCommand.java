package org.isos.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code isos keys new NAME}: a code-signing key certified by the server's CA for this buyer. */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "Buyers' code-signing keys.",
        subcommands = { KeysCommand.New.class })
final class KeysCommand extends Verb {

    static final String DEFAULT_PASSWORD = "isos-key";

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "say which: new");
    }

    /** The key store password: the option, else {@code ISOS_KEY_PASSWORD}, else the default. */
    static char[] password(String option, Isos isos) {
        String p = option != null ? option : isos.env("ISOS_KEY_PASSWORD");
        return (p != null ? p : DEFAULT_PASSWORD).toCharArray();
    }

    @Command(name = "new", mixinStandardHelpOptions = true,
            description = { "Makes an EC P-256 key, has the server certify it for code signing (POST /v1/certificates,"
                    + " CN = the buyer's account id) and stores key + chain in HOME/NAME.p12 (PKCS#12, alias NAME),"
                    + " which the JDK's jarsigner reads too." })
    static final class New extends Verb {
        @Mixin
        ServerOptions server;

        @Parameters(index = "0", paramLabel = "NAME", description = "the key's name: letters, digits, . _ -")
        String keyName;

        @Option(names = "--password", paramLabel = "PASSWORD",
                description = "the key store password (default: $ISOS_KEY_PASSWORD, else " + DEFAULT_PASSWORD + ")")
        String password;

        @Option(names = "--force", description = "replace HOME/NAME.p12 if it exists")
        boolean force;

        @Override
        public Integer call() {
            if (!SigningKey.NAME.matcher(keyName).matches()) {
                throw new ParameterException(spec.commandLine(), "a key name is 1 to 64 letters, digits, '.', '_' or '-'"
                        + " starting with a letter or digit, not '" + keyName + "'");
            }
            Path file = server.home().resolve(keyName + ".p12");
            if (Files.exists(file) && !force) {
                throw new CliFailure(file + " exists; pass --force to replace it");
            }
            ServerConnection connection = server.withToken();
            JsonNode me = connection.get("/v1/me");
            if (!"buyer".equals(text(me, "kind"))) {
                throw new CliFailure("the token is " + text(me, "kind") + " account " + text(me, "id")
                        + "'s: code-signing keys are for buyers");
            }
            String accountId = text(me, "id");
            KeyPair keys = SigningKey.newKeyPair();
            JsonNode issued;
            try {
                issued = connection.post("/v1/certificates", ServerConnection.object().put("csr",
                        SigningKey.certificateRequest(keys, accountId)));
            } catch (ServerConnection.Refused e) {
                throw new CliFailure("certificate refused: " + e.getMessage(), e);
            }
            List<X509Certificate> chain = SigningKey.chainFrom(issued);
            if (!chain.get(0).getPublicKey().equals(keys.getPublic())) {
                throw new CliFailure("the certificate the server issued is not for the key sent");
            }
            new SigningKey(keyName, keys.getPrivate(), chain).store(file, password(password, Isos.of(spec)));
            out().println("key " + keyName + " for " + accountId + ": " + file);
            out().println("certificate " + text(issued, "serial") + ", expires " + text(issued, "expires"));
            return 0;
        }
    }
}
