package org.isos.cli;

import java.nio.file.Files;
import java.nio.file.Path;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code isos sign IN.jar --key NAME -o OUT.jar}. */
@Command(name = "sign", mixinStandardHelpOptions = true,
        description = "Signs a bundle with a code-signing key (SHA-256 digests, the certificate chain included), as"
                + " hosts and the server admit it.")
final class SignCommand extends Verb {

    @Parameters(index = "0", paramLabel = "IN.jar", description = "the bundle to sign")
    Path in;

    @Option(names = "--key", required = true, paramLabel = "NAME|FILE.p12",
            description = "a key made by `isos keys new NAME` (HOME/NAME.p12), or a PKCS#12 file")
    String key;

    @Option(names = { "-o", "--output" }, required = true, paramLabel = "OUT.jar", description = "the signed bundle")
    Path output;

    @Option(names = "--password", paramLabel = "PASSWORD",
            description = "the key store password (default: $ISOS_KEY_PASSWORD, else " + KeysCommand.DEFAULT_PASSWORD + ")")
    String password;

    @Option(names = "--home", paramLabel = "DIR", description = "where named keys are (default: $ISOS_HOME, else ~/.isos)")
    Path home;

    @Option(names = "--replace-signatures", description = "drop the signatures IN.jar has instead of refusing it")
    boolean replaceSignatures;

    @Override
    public Integer call() {
        Path file;
        String alias;
        if (key.endsWith(".p12") || key.endsWith(".pfx") || key.contains("/") || key.contains("\\")) {
            file = Path.of(key);
            alias = null;
        } else {
            if (!SigningKey.NAME.matcher(key).matches()) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "--key is a key name (letters, digits, . _ -) or a .p12 file, not '" + key + "'");
            }
            String env = Isos.of(spec).env("ISOS_HOME");
            Path dir = home != null ? home : env != null ? Path.of(env) : Path.of(System.getProperty("user.home"), ".isos");
            file = dir.resolve(key + ".p12");
            alias = key;
        }
        if (!Files.isRegularFile(file)) {
            throw new CliFailure("no key store " + file + (alias == null ? "" : " (make one with `isos keys new " + key + "`)"));
        }
        if (!Files.isRegularFile(in)) {
            throw new CliFailure("no such jar: " + in);
        }
        SigningKey signing = SigningKey.load(file, alias, KeysCommand.password(password, Isos.of(spec)));
        BundleSigner.sign(in, output, signing, replaceSignatures);
        out().println("signed " + output + " as " + signing.certificate().getSubjectX500Principal().getName());
        return 0;
    }
}
